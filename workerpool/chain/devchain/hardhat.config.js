// Hardhat 2 config for the workerpool dev chain (`workerpool chain`).
//
// We never compile: PoCo is deployed from the npm artifacts' bytecode by
// workerpool/chain/devchain/deploy.py, so no `solidity` compiler is ever
// downloaded. `hardhat node` needs no network access with this config:
// no forking, no compilation, and telemetry prompts are disabled by the
// launcher (HARDHAT_DISABLE_TELEMETRY_PROMPT=true, stdout is not a TTY).
const os = require("os");
const path = require("path");

// Keep Hardhat's cache/artifacts dirs out of the source tree.
const scratch = process.env.WORKERPOOL_HARDHAT_SCRATCH || path.join(os.tmpdir(), "workerpool-hardhat");

module.exports = {
  defaultNetwork: "hardhat",
  solidity: { compilers: [] },
  paths: {
    root: scratch,
    sources: path.join(scratch, "contracts"),
    cache: path.join(scratch, "cache"),
    artifacts: path.join(scratch, "artifacts"),
    tests: path.join(scratch, "test"),
  },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "shanghai",
      blockGasLimit: 60000000,
      gas: 15000000,
      allowUnlimitedContractSize: false,
      mining: { auto: true, interval: 0 },
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        path: "m/44'/60'/0'/0",
        count: 20,
        accountsBalance: "10000000000000000000000000",
      },
      // Like a real node: a reverting tx is mined with status 0 (not an RPC error on send).
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
      loggingEnabled: false,
    },
  },
};
