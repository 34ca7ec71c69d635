// Policy: every container has a read-only root filesystem.
import { containerPolicy } from './workloads';

/** A writable image lets an intruder persist tools; writable paths are explicit emptyDir/PVC mounts. */
export const readOnlyRootFilesystem = containerPolicy(
  'read-only-root-filesystem',
  'Every container sets securityContext.readOnlyRootFilesystem: true and mounts volumes where it writes.',
  (c) => (c.container.securityContext?.readOnlyRootFilesystem === true
    ? undefined
    : `${c.path}.securityContext.readOnlyRootFilesystem is not true; set it and mount an emptyDir on each path the process writes to`),
);
