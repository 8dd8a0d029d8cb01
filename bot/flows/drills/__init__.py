"""Restore drills: `/ddb drill`, the scheduled drills, and the follower that restores,
validates and deletes the scratch table."""
