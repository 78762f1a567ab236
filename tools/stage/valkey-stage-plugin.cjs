'use strict';
/**
 * On a stage deployed with `--channel valkey` (`--param=channel=valkey`, and `vpcId`/`subnetIds`
 * for a VPC of the user's), adds the Valkey stage's resources to the template `sls package`
 * compiled (valkey-stage-template.ts), before it is written. Any other stage is left as it is.
 */
const path = require('node:path');

class ValkeyStagePlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:aws:package:finalize:saveServiceState': () => this.addResources() };
  }

  async addResources() {
    const settings = (this.serverless.service.custom || {}).stageChannel || {};
    if (settings.channel !== 'valkey') {
      if (settings.channel && settings.channel !== 'sqs') throw new Error(`stage channel must be sqs or valkey; received ${JSON.stringify(settings.channel)}`);
      return;
    }
    const { tsImport } = await import('tsx/esm/api');
    const { addValkeyStage, valkeyStageOptions } = await tsImport(path.join(__dirname, 'valkey-stage-template.ts'), __filename);
    const stage = this.serverless.service.provider.stage;
    addValkeyStage(this.serverless.service.provider.compiledCloudFormationTemplate, valkeyStageOptions(stage, String(settings.vpcId || ''), String(settings.subnetIds || '')));
  }
}

module.exports = ValkeyStagePlugin;
