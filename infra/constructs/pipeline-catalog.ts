/**
 * The outputs as Athena tables: a Glue Data Catalog database with one table per output (Parquet
 * under `<outputPrefix><table>/source=<source>/`), and a workgroup whose query results go to the
 * work bucket. The `source` partition is projected (`injected`): a run's new partition is
 * queryable the moment its Parquet is written, with no crawler and no partition to register.
 * Injected projection needs the query to name the sources (`source = …` or `source IN (…)`).
 */
import { Stack } from "aws-cdk-lib";
import * as athena from "aws-cdk-lib/aws-athena";
import * as glue from "aws-cdk-lib/aws-glue";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import type { TableName } from "../../functions/core/tables";
import { ATHENA_RESULTS_PREFIX } from "./pipeline-buckets";

/** A Glue (Hive) column type, as Athena reads Parquet. */
export type GlueType = "string" | "int" | "bigint" | "date";

/**
 * The tables' columns, declared here as the contract Athena reads; test/infra checks them
 * against the Parquet the reducer writes, read back by DuckDB.
 */
export const OUTPUT_TABLE_COLUMNS: Readonly<Record<TableName, readonly { name: string; type: GlueType }[]>> =
  {
    server_errors: [
      { name: "date", type: "date" },
      { name: "time", type: "string" },
      { name: "extention", type: "string" },
      { name: "code", type: "int" },
    ],
    errors_by_hour: [
      { name: "hour", type: "int" },
      { name: "count", type: "bigint" },
    ],
    ip_counts: [
      { name: "ip", type: "string" },
      { name: "count", type: "bigint" },
    ],
    top_ips: [
      { name: "rank", type: "int" },
      { name: "ip", type: "string" },
      { name: "count", type: "bigint" },
    ],
  };

/** The Hive partition key every output table is laid out by. */
export const SOURCE_PARTITION = "source";

export interface PipelineCatalogProps {
  /** Glue database name: lower case, digits and underscores. */
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly outputBucket: s3.IBucket;
  /** "" or ending in "/". */
  readonly outputPrefix: string;
  readonly workBucket: s3.IBucket;
}

export class PipelineCatalog extends Construct {
  readonly database: glue.CfnDatabase;
  readonly tables: Readonly<Record<TableName, glue.CfnTable>>;
  readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: PipelineCatalogProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.database = new glue.CfnDatabase(this, "Database", {
      catalogId,
      databaseInput: {
        name: props.databaseName,
        description: "EDGAR log tables written by the pipeline (Parquet, one partition per source)",
      },
    });
    const tables = {} as Record<TableName, glue.CfnTable>;
    for (const [name, columns] of Object.entries(OUTPUT_TABLE_COLUMNS) as [
      TableName,
      (typeof OUTPUT_TABLE_COLUMNS)[TableName],
    ][]) {
      const location = `s3://${props.outputBucket.bucketName}/${props.outputPrefix}${name}/`;
      const table = new glue.CfnTable(this, `Table${pascal(name)}`, {
        catalogId,
        databaseName: props.databaseName,
        tableInput: {
          name,
          tableType: "EXTERNAL_TABLE",
          partitionKeys: [{ name: SOURCE_PARTITION, type: "string" }],
          parameters: {
            classification: "parquet",
            EXTERNAL: "TRUE",
            "projection.enabled": "true",
            [`projection.${SOURCE_PARTITION}.type`]: "injected",
            "storage.location.template": `${location}${SOURCE_PARTITION}=\${${SOURCE_PARTITION}}/`,
          },
          storageDescriptor: {
            location,
            columns: columns.map((c) => ({ name: c.name, type: c.type })),
            inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            serdeInfo: {
              serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            },
          },
        },
      });
      table.node.addDependency(this.database);
      tables[name] = table;
    }
    this.tables = tables;

    this.workGroup = new athena.CfnWorkGroup(this, "WorkGroup", {
      name: props.workGroupName,
      description: "Queries over the EDGAR log tables; results in the work bucket",
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${props.workBucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
        },
      },
    });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
