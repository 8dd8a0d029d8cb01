// The S3 statements of the follow-up function (restoreWatcher), from opsbot.toml's
// `[exports] buckets`: exports write and imports read only those buckets (DESIGN.md §5:
// exports go only to configured buckets). Read at package time, offline, from the file that
// is packaged with the code:
//   - ${file(./deploy/exports.js):objectStatement} (restoreWatcher): s3:PutObject/
//     AbortMultipartUpload/PutObjectAcl (an export writes its data and manifest) and
//     s3:GetObject (an import reads the data) on BUCKET/*
//   - ${file(./deploy/exports.js):bucketStatement} (restoreWatcher): s3:GetBucketLocation
//     (check 0 refuses a bucket outside the table's region) and s3:ListBucket (an import's
//     objects) on the buckets themselves
//   - ${file(./deploy/exports.js):listStatement} (slackWorker): s3:ListBucket only, so the
//     confirmation of an import shows the source's size; it reads no object
// Without buckets each is an explicit Deny, so the role grants no S3 access at all.
// @iarna/toml comes with serverless-python-requirements (package-lock.json).
'use strict';

const fs = require('fs');
const path = require('path');
const TOML = require('@iarna/toml');

// S3 bucket names (bot/domain/refs.py BUCKET_NAME): nothing else can reach the ARN.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function configuredBuckets() {
  const file = path.join(__dirname, '..', 'opsbot.toml');
  const config = TOML.parse(fs.readFileSync(file, 'utf8'));
  const buckets = (config.exports && config.exports.buckets) || [];
  if (!Array.isArray(buckets)) throw new Error('opsbot.toml: [exports] buckets must be a list');
  for (const bucket of buckets) {
    if (typeof bucket !== 'string' || !BUCKET.test(bucket)) {
      throw new Error(`opsbot.toml: [exports] buckets: ${JSON.stringify(bucket)} is not a bucket name`);
    }
  }
  return buckets;
}

function statement(actions, resources) {
  if (!resources.length) return { Effect: 'Deny', Action: actions, Resource: '*' };
  return { Effect: 'Allow', Action: actions, Resource: resources };
}

module.exports = () => {
  const buckets = configuredBuckets();
  const arn = (suffix) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${suffix}` });
  return {
    objectStatement: statement(
      ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl', 's3:GetObject'],
      buckets.map((b) => arn(`${b}/*`))
    ),
    bucketStatement: statement(
      ['s3:GetBucketLocation', 's3:ListBucket'],
      buckets.map((b) => arn(b))
    ),
    listStatement: statement(['s3:ListBucket'], buckets.map((b) => arn(b))),
  };
};
