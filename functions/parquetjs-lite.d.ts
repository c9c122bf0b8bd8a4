/** parquetjs-lite ships no types; this declares the part the project uses. */
declare module "parquetjs-lite" {
  interface ParquetWriterInstance {
    setRowGroupSize(rows: number): void;
    appendRow(row: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
  }
  const parquet: {
    ParquetSchema: new (fields: Record<string, unknown>) => unknown;
    ParquetWriter: {
      openStream(
        schema: unknown,
        sink: unknown,
        options?: Record<string, unknown>,
      ): Promise<ParquetWriterInstance>;
    };
  };
  export default parquet;
}
