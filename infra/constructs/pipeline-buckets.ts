/**
 * The pipeline's buckets. Three roles, three buckets, because their protection differs:
 * - input: the raw logs; versioned (an overwrite or delete is recoverable), EventBridge on.
 * - output: the tables and run reports; versioned, old versions expire (each run replaces a
 *   source's files).
 * - work: plans, tasks and partials under `runs/<runId>/`; reproducible, so unversioned, and
 *   expired by a lifecycle rule.
 * Plus one bucket for the others' server access logs. All block public access, refuse plain
 * HTTP and TLS < 1.2, encrypt with SSE-S3 and are retained when the stack is deleted.
 */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { DEFAULT_DEPLOY_CONFIG } from "../config";

/** Every work key a run writes starts with it (functions/stages/layout.ts `workKeys`). */
export const WORK_RUNS_PREFIX = "runs/";
/** Where the Athena workgroup writes query results in the work bucket. */
export const ATHENA_RESULTS_PREFIX = "athena-results/";

export interface PipelineBucketsProps {
  /** Import this bucket instead of creating one; its owner turns on EventBridge notifications. @default - created */
  readonly inputBucketName?: string;
  /** The customer-managed key of an imported input bucket. @default - no key (SSE-S3) */
  readonly inputBucketKmsKeyArn?: string;
  /** Import this bucket instead of creating one. @default - created */
  readonly outputBucketName?: string;
  /**
   * At least REDRIVE_WINDOW_DAYS (Step Functions' redrive window), so a redriven run finds its work.
   * @default - DEFAULT_DEPLOY_CONFIG.workRetentionDays
   */
  readonly workRetentionDays?: number;
  /** @default - DEFAULT_DEPLOY_CONFIG.accessLogRetentionDays */
  readonly accessLogRetentionDays?: number;
}

export class PipelineBuckets extends Construct {
  readonly input: s3.IBucket;
  readonly output: s3.IBucket;
  readonly work: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: PipelineBucketsProps = {}) {
    super(scope, id);
    const protectedBucket: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    this.accessLogs = new s3.Bucket(this, "AccessLogs", {
      ...protectedBucket,
      lifecycleRules: [
        {
          id: "ExpireAccessLogs",
          expiration: Duration.days(
            props.accessLogRetentionDays ?? DEFAULT_DEPLOY_CONFIG.accessLogRetentionDays,
          ),
        },
      ],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: "AwsSolutions-S1",
      reason: "This is the server access log destination; logging its own writes would loop",
    });
    const logged = (prefix: string): s3.BucketProps => ({
      ...protectedBucket,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: prefix,
    });
    const abortUploads: s3.LifecycleRule = {
      id: "AbortIncompleteUploads",
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    };

    if (props.inputBucketName === undefined) {
      const input = new s3.Bucket(this, "Input", {
        ...logged("input/"),
        versioned: true,
        lifecycleRules: [
          abortUploads,
          // A delete leaves a marker; once its old versions expire, the lone marker goes too.
          {
            id: "ExpireOldVersions",
            noncurrentVersionExpiration: Duration.days(30),
            expiredObjectDeleteMarker: true,
          },
        ],
      });
      // Set on the L1 bucket: the L2 `eventBridgeEnabled` deploys a custom-resource Lambda to do it.
      (input.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
        eventBridgeConfiguration: { eventBridgeEnabled: true },
      };
      this.input = input;
    } else {
      this.input = s3.Bucket.fromBucketAttributes(this, "Input", {
        bucketName: props.inputBucketName,
        ...(props.inputBucketKmsKeyArn === undefined
          ? {}
          : { encryptionKey: kms.Key.fromKeyArn(this, "InputKey", props.inputBucketKmsKeyArn) }),
      });
    }

    this.output =
      props.outputBucketName === undefined
        ? new s3.Bucket(this, "Output", {
            ...logged("output/"),
            versioned: true,
            lifecycleRules: [
              abortUploads,
              {
                id: "ExpireReplacedOutputs",
                noncurrentVersionExpiration: Duration.days(30),
                expiredObjectDeleteMarker: true,
              },
            ],
          })
        : s3.Bucket.fromBucketName(this, "Output", props.outputBucketName);

    this.work = new s3.Bucket(this, "Work", {
      ...logged("work/"),
      lifecycleRules: [
        { id: "AbortIncompleteUploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
        {
          id: "ExpireRuns",
          prefix: WORK_RUNS_PREFIX,
          expiration: Duration.days(props.workRetentionDays ?? DEFAULT_DEPLOY_CONFIG.workRetentionDays),
        },
        { id: "ExpireQueryResults", prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(30) },
      ],
    });
  }
}
