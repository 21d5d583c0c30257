export declare function loadCorpus(target: string): Uint8Array[];
