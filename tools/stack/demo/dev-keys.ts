/**
 * Hardhat's well-known development accounts #0 and #1. These private keys are PUBLIC: they are
 * printed by every Hardhat node and published in its docs. They are test keys only and must never
 * hold funds; anything sent to these addresses on a real network is taken at once.
 */
export const DEV_KEYS = [
  {
    label: 'Dev key #0',
    privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  },
  {
    label: 'Dev key #1',
    privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  },
] as const;

export type DevKeyIndex = 0 | 1;

export function isDevKeyIndex(value: number): value is DevKeyIndex {
  return value === 0 || value === 1;
}
