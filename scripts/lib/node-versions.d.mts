/** The Node majors loopcop supports. */
export declare const NODE_MAJORS: readonly number[]
/** Where the binary of a major is installed. */
export declare function nodeBinaryPath(major: number): string
/** The Node binary of a major, installed when missing or broken. */
export declare function prepareNode(major: number): Promise<{ bin: string; version: string; source: string } | { error: string }>
