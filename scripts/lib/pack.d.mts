/** The repository root. */
export declare const root: string
/** Runs `npm pack` on the built repository into `destination`; returns the tarball's absolute path. */
export declare function packLoopcop(destination: string): string
/** Installs a packed tarball into `nodeModules/loopcop`, replacing what was there; returns that folder. */
export declare function installTarball(tarball: string, nodeModules: string): string
