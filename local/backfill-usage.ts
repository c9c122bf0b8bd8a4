/** The usage lines of the AWS commands, apart from them so that --help does not load the SDK. */
export const BACKFILL_USAGE = `usage: edgar-etl backfill --state-machine <arn> --bucket <bucket> --prefix <prefix>
                          [--max-parallel N (4)] [--poll-seconds S (10)] [--dry-run]`;
export const STATUS_USAGE = `usage: edgar-etl status <executionArn> [--watch] [--poll-seconds S (10)]
  --watch   follow a running execution: ranges done of total, MB/s and ETA until it ends`;
