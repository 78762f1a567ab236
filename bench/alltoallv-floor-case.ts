import { measureFloor, type FloorSpec } from './alltoallv-floor.ts';

/** One floor measurement in a process of its own (alltoallv-floor-section.ts): JSON on stdout. */
const spec = JSON.parse(process.argv[2]!) as FloorSpec;
process.stdout.write(JSON.stringify(await measureFloor(spec)));
