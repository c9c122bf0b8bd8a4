declare module "s3rver" {
  /** The part of a Koa context the project's middleware uses. */
  export interface KoaContext {
    readonly method: string;
    readonly path: string;
    get(header: string): string;
    status: number;
    body: unknown;
  }
  export default class S3rver {
    constructor(options: Record<string, unknown>);
    run(): Promise<unknown>;
    close(): Promise<void>;
    /** s3rver is a Koa application: its middleware stack, router last. */
    readonly middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
    readonly store: { getMetadata(bucket: string, key: string): Promise<{ etag: string }> };
  }
}
