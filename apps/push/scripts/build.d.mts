export function buildWeb(outDir?: string): Promise<void>;
export function buildServer(): Promise<void>;
