"""Data out to S3: `/ddb export`, `/ddb exports`, and the follower of confirmed exports."""
