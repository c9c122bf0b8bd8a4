/** parquetjs-lite ships no types; this declares the part the project uses. */
declare module "parquetjs-lite" {
  /** Writes the file's envelope; row groups are written by the caller (see core/parquet.ts). */
  interface ParquetEnvelopeWriterInstance {
    /** Bytes written so far: where the next section starts. */
    offset: number;
    rowCount: number;
    rowGroups: unknown[];
    writeHeader(): Promise<void>;
    writeSection(bytes: Buffer): Promise<void>;
    writeFooter(userMetadata: Record<string, string>): Promise<void>;
    close(): Promise<void>;
  }
  const parquet: {
    ParquetSchema: new (fields: Record<string, unknown>) => unknown;
    ParquetEnvelopeWriter: {
      openStream(
        schema: unknown,
        sink: unknown,
        options?: Record<string, unknown>,
      ): Promise<ParquetEnvelopeWriterInstance>;
    };
  };
  export default parquet;
}

/** The Parquet Thrift types (generated code): constructors with public fields, and enums. */
declare module "parquetjs-lite/gen-nodejs/parquet_types.js" {
  // biome-ignore lint/suspicious/noExplicitAny: generated Thrift structs are untyped bags of fields
  type ThriftStruct = new () => any;
  const types: {
    RowGroup: ThriftStruct;
    ColumnChunk: ThriftStruct;
    ColumnMetaData: ThriftStruct;
    PageHeader: ThriftStruct;
    DataPageHeader: ThriftStruct;
    Statistics: ThriftStruct;
    PageType: Record<string, number>;
    Encoding: Record<string, number>;
    Type: Record<string, number>;
    CompressionCodec: Record<string, number>;
  };
  export default types;
}

declare module "parquetjs-lite/lib/util.js" {
  export function serializeThrift(struct: unknown): Buffer;
}
