/**
 * The files of a listing, kept small: a study can hold 100,000 files, and
 * every step of its backup keeps its listing. A plain `{ path, size, mtime }`
 * object costs V8 two boxed numbers besides itself (a time in milliseconds
 * is past its small integers, and one file over 2 GiB makes every size a
 * double), some 80 bytes of heap a file before its path. Here each file's
 * size and time sit in one growing buffer of the listing, and its object
 * holds its path and its place there.
 *
 * The size and the time are getters: a spread (`{ ...file }`) or
 * `Object.keys` does not see them, so code that copies a file names its
 * fields.
 *
 * @module
 */
import type { StudyFile } from "./types.ts";

/** Sizes and modification times of a listing's files, two numbers per file. */
export class FileTable {
  #values = new Float64Array(2 * 1024);
  #count = 0;

  /** Adds a file; the object it returns reads its size and time from this table. */
  add(path: string, size: number, mtime: number): StudyFile {
    const at = 2 * this.#count;
    if (at === this.#values.length) {
      const values = new Float64Array(2 * this.#values.length);
      values.set(this.#values);
      this.#values = values;
    }
    this.#values[at] = size;
    this.#values[at + 1] = mtime;
    return new TabledFile(path, this, this.#count++);
  }

  /** The size of the file added `index`th. */
  sizeAt(index: number): number {
    return this.#values[2 * index]!;
  }

  /** The modification time (ms) of the file added `index`th. */
  mtimeAt(index: number): number {
    return this.#values[2 * index + 1]!;
  }
}

/** A file whose size and time live in a {@linkcode FileTable}. */
class TabledFile implements StudyFile {
  readonly path: string;
  readonly #table: FileTable;
  readonly #index: number;

  constructor(path: string, table: FileTable, index: number) {
    this.path = path;
    this.#table = table;
    this.#index = index;
  }

  get size(): number {
    return this.#table.sizeAt(this.#index);
  }

  get mtime(): number {
    return this.#table.mtimeAt(this.#index);
  }
}
