/**
 * Watches a folder that may be removed and made again (a content cache replaced by a copy, a
 * `pull --full` into a fresh folder): `fs.watch` follows the folder's inode, which stops telling
 * anything once the folder is gone, and on Linux says nothing about it. The folder's parent is
 * watched for its name as well; whenever the folder comes back as another inode (or goes), the
 * watch moves to it and `onChange` runs.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface FolderWatch {
  close(): void;
}

export function watchFolder(dir: string, onChange: () => void, onError: (error: Error) => void): FolderWatch {
  let inner: FSWatcher | null = null;
  let inode: number | null = null;
  const inodeOf = (): number | null => {
    try {
      return statSync(dir).ino;
    } catch {
      return null;
    }
  };
  const arm = () => {
    inner?.close();
    inner = null;
    inode = inodeOf();
    if (inode === null) return;
    try {
      inner = watch(dir, { persistent: false }, () => {
        check();
        onChange();
      });
      inner.on('error', onError);
    } catch (error) {
      // Gone again between the stat and the watch: the parent's watch tells when it is back.
      inner = null;
      inode = null;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') onError(error as Error);
    }
  };
  const check = () => {
    if (inodeOf() === inode) return;
    arm();
    onChange();
  };
  const parent = watch(path.dirname(dir), { persistent: false }, (_event, name) => {
    if (name === null || name === path.basename(dir)) check();
  });
  parent.on('error', onError);
  arm();
  return {
    close() {
      inner?.close();
      parent.close();
    },
  };
}
