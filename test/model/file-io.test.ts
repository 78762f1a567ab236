import { describe, expect, it } from 'vitest';
import { AWS_MODEL_DEFAULTS } from '../../src/model/constants.ts';
import { modelOrderedWrite, modelPartitionRead } from '../../src/model/file-io.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('File on S3 in the model', () => {
  it('reads 100 GiB by 1,000 ranks at the per-function bandwidth, its GETs within one prefix\'s rate', () => {
    const read = modelPartitionRead(100 * GiB, 1000);
    expect(read.gets).toBe(1 + 1000 * 4);
    expect(read.requestRateSeconds).toBeLessThan(read.transferSeconds);
    expect(read.seconds).toBeCloseTo((2 * AWS_MODEL_DEFAULTS.s3GetMs) / 1000 + (100 * GiB / 1000 + 64 * 1024) / AWS_MODEL_DEFAULTS.lambdaBandwidthBytesPerSecond, 6);
    expect(read.usd).toBeCloseTo(read.gets * AWS_MODEL_DEFAULTS.prices.s3.getClass, 12);
    console.log(`model: readPartition 100 GiB by 1,000 ranks: ${read.seconds.toFixed(2)} s, ${read.gets} GETs, $${read.usd.toFixed(5)}`);
  });

  it('tiny shares are bound by the prefix\'s request rate, not by bandwidth', () => {
    const read = modelPartitionRead(20 * MiB, 10_000);
    expect(read.seconds).toBe(read.requestRateSeconds);
  });

  it('an ordered write whose shares match the parts ships nothing: each rank uploads its own part', () => {
    const write = modelOrderedWrite(8 * 32 * MiB, 8);
    expect(write).toMatchObject({ parts: 8, aggregators: 8, shippedBytes: 0, puts: 10 });
    const small = modelOrderedWrite(64 * 100 * 1024, 64);
    expect(small).toMatchObject({ parts: 2, aggregators: 2, puts: 4 });
    // All but the aggregators' own pieces travel (ranks 0 and 52, who wrote most of each part).
    expect(small.shippedBytes).toBe(64 * 100 * 1024 - 2 * 100 * 1024);
    // Shares larger than a part: two parts a rank, so the shares still fall on part boundaries
    // (to the byte's rounding), and each rank uploads its own.
    const big = modelOrderedWrite(100 * GiB, 1000);
    expect(big).toMatchObject({ parts: 2000, aggregators: 1000 });
    expect(big.shippedBytes).toBeLessThan(MiB);
    console.log(`model: writeOrdered 100 GiB by 1,000 ranks: ${big.seconds.toFixed(2)} s, ${big.parts} parts on ${big.aggregators} aggregators, ${(big.shippedBytes / GiB).toFixed(1)} GiB shipped, $${big.usd.toFixed(5)}`);
  });
});
