/**
 * The part digests of a multipart file on a second thread: the caller
 * hashes each chunk into the full-file digest on its own thread, then hands
 * the very same buffer (transferred, not copied) to a worker that cuts it
 * into S3 parts and hashes those, and gives the buffer back. Both digests
 * are of the same bytes read once, so the part digests S3 checks on upload
 * and the full digest the share copy is checked against cannot disagree.
 *
 * The worker is built from source text (a Blob URL), not from a module
 * file: it then needs no read permission for its own code and nothing extra
 * in `deno compile`. An idle worker keeps the process alive, so the owner
 * must {@linkcode PartWorker.terminate} it.
 *
 * @module
 */
import type { BufferPool } from "./_buffer_pool.ts";
import { PartDigests } from "./_digest.ts";

/** Chunks one job may have waiting in the worker before `push` waits. */
const MAX_QUEUED_CHUNKS = 2;

const WORKER_SOURCE = `import { createHash } from "node:crypto";
const PartDigests = ${PartDigests.toString()};
const jobs = new Map();
self.onmessage = ({ data }) => {
  if (data.kind === "start") {
    jobs.set(data.job, new PartDigests(data.partSize));
  } else if (data.kind === "chunk") {
    jobs.get(data.job).update(new Uint8Array(data.buffer, 0, data.length));
    self.postMessage({ kind: "chunk", job: data.job, buffer: data.buffer }, [data.buffer]);
  } else if (data.kind === "finish") {
    const digests = jobs.get(data.job).finish();
    jobs.delete(data.job);
    self.postMessage({ kind: "finish", job: data.job, digests });
  } else if (data.kind === "cancel") {
    jobs.delete(data.job);
  }
};
`;

type Reply =
  | { kind: "chunk"; job: number; buffer: ArrayBuffer }
  | { kind: "finish"; job: number; digests: Uint8Array[] };

interface JobState {
  queued: number;
  wake: (() => void) | undefined;
  finished: ((digests: Uint8Array[]) => void) | undefined;
  failed: ((error: Error) => void) | undefined;
}

/** One file's part digests being computed by the worker. */
export interface PartJob {
  /**
   * Hands over `chunk` (a whole pool buffer's first bytes; the caller must
   * not touch that buffer again: it goes back to the pool). Resolves once
   * the worker has room for another chunk.
   */
  push(chunk: Uint8Array): Promise<void>;
  /** The part digests once every pushed chunk is hashed. */
  finish(): Promise<Uint8Array[]>;
  /** Forgets the job (after a failure of the read). */
  cancel(): void;
}

/** A worker computing part digests, for any number of files at once. */
export class PartWorker {
  readonly #pool: BufferPool;
  readonly #jobs = new Map<number, JobState>();
  #worker: Worker | undefined;
  #failure: Error | undefined;
  #nextJob = 0;

  /** Buffers coming back from the worker go to `pool`. */
  constructor(pool: BufferPool) {
    this.#pool = pool;
  }

  #started(): Worker {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#worker !== undefined) return this.#worker;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    URL.revokeObjectURL(url);
    worker.onmessage = (event: MessageEvent<Reply>) => this.#reply(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`the part-digest worker failed: ${event.message}`));
    };
    worker.onmessageerror = () => this.#fail(new Error("the part-digest worker sent garbage"));
    this.#worker = worker;
    return worker;
  }

  #reply(reply: Reply): void {
    const job = this.#jobs.get(reply.job);
    if (reply.kind === "chunk") {
      this.#pool.give(new Uint8Array(reply.buffer));
      if (job === undefined) return;
      job.queued--;
      const wake = job.wake;
      job.wake = undefined;
      wake?.();
    } else if (job !== undefined) {
      this.#jobs.delete(reply.job);
      job.finished?.(reply.digests);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const job of this.#jobs.values()) {
      job.failed?.(error);
      job.wake?.();
    }
    this.#jobs.clear();
  }

  /** Starts the part digests of one file cut every `partSize` bytes. */
  start(partSize: number): PartJob {
    const worker = this.#started();
    const id = this.#nextJob++;
    const state: JobState = { queued: 0, wake: undefined, finished: undefined, failed: undefined };
    this.#jobs.set(id, state);
    worker.postMessage({ kind: "start", job: id, partSize });
    const fail = () => {
      if (this.#failure !== undefined) throw this.#failure;
    };
    return {
      push: async (chunk) => {
        fail();
        if (chunk.byteOffset !== 0) throw new RangeError("a chunk must start its buffer");
        const buffer = chunk.buffer as ArrayBuffer;
        state.queued++;
        worker.postMessage({ kind: "chunk", job: id, buffer, length: chunk.length }, [buffer]);
        while (state.queued >= MAX_QUEUED_CHUNKS && this.#failure === undefined) {
          await new Promise<void>((resolve) => state.wake = resolve);
        }
        fail();
      },
      finish: () =>
        new Promise<Uint8Array[]>((resolve, reject) => {
          fail();
          state.finished = resolve;
          state.failed = reject;
          worker.postMessage({ kind: "finish", job: id });
        }),
      cancel: () => {
        if (this.#jobs.delete(id)) this.#worker?.postMessage({ kind: "cancel", job: id });
      },
    };
  }

  /** Stops the worker; jobs still running fail. */
  terminate(): void {
    this.#fail(new Error("the part-digest worker was stopped"));
  }
}
