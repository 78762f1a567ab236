/**
 * The resources of a stage on the Valkey channel (`lambda-mpi deploy --channel valkey`), added to
 * the CloudFormation template `sls package` compiled (valkey-stage-plugin.cjs calls this): an
 * ElastiCache Serverless cache (engine valkey, TLS), the VPC it lives in (two private subnets in
 * two AZs, created, or the user's own), an S3 gateway endpoint, Lambda and STS interface
 * endpoints, least-privilege security groups, and the run, worker and sweep functions in the VPC
 * with the cache's `rediss://` URL in their environment. docs/deploying.md, "A stage on the Valkey channel",
 * gives the reasons and the monthly floor.
 */

type Json = any; // CloudFormation templates are untyped JSON

export interface ValkeyStageOptions {
  stage: string;
  /** The user's VPC (`--vpc`) and two or more of its private subnets (`--subnets`); else a VPC is created. */
  vpcId?: string;
  subnetIds?: string[];
}

/**
 * The functions that reach the cache run in the VPC: run and worker carry a job's messages, sweep
 * deletes what a killed rank 0 left there (it needs only S3 besides). http stays outside it.
 */
const VPC_FUNCTIONS = ['RunLambdaFunction', 'WorkerLambdaFunction', 'SweepLambdaFunction'];
const VALKEY_PORTS = { from: 6379, to: 6380 };
const VPC_CIDR = '10.42.0.0/16';
const SUBNET_CIDRS = ['10.42.0.0/20', '10.42.16.0/20'];
/**
 * Deny-all egress: a security group without egress rules gets CloudFormation's allow-all one;
 * this single rule to the loopback address replaces it, so nothing leaves.
 */
const NO_EGRESS = [{ IpProtocol: '-1', CidrIp: '127.0.0.1/32', Description: 'no egress' }];
/** What Lambda needs to place a function in a VPC (the managed AWSLambdaVPCAccessExecutionRole's actions). */
const ENI_ACTIONS = ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'];

export function addValkeyStage(template: Json, options: ValkeyStageOptions): void {
  const resources = template.Resources as Record<string, Json>;
  const add = (id: string, resource: Json) => {
    if (resources[id]) throw new Error(`the template already has a resource ${id}`);
    resources[id] = resource;
  };
  const tags = (name: string) => [{ Key: 'Name', Value: `lambda-mpi-${options.stage}-${name}` }];
  const given = options.vpcId !== undefined;
  if (given !== (options.subnetIds !== undefined)) throw new Error('--vpc and --subnets go together: the VPC, and two or more of its private subnets');

  let vpcId: Json;
  let subnetIds: Json[];
  if (given) {
    vpcId = options.vpcId;
    subnetIds = options.subnetIds!;
  } else {
    add('StageVpc', { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: VPC_CIDR, EnableDnsSupport: true, EnableDnsHostnames: true, Tags: tags('vpc') } });
    vpcId = { Ref: 'StageVpc' };
    // No internet gateway and no NAT: the subnets reach the cache, the endpoints and S3, nothing else.
    add('StageRouteTable', { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: vpcId, Tags: tags('private') } });
    subnetIds = SUBNET_CIDRS.map((cidr, i) => {
      const id = `StageSubnet${'AB'[i]}`;
      add(id, {
        Type: 'AWS::EC2::Subnet',
        Properties: { VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: { 'Fn::Select': [i, { 'Fn::GetAZs': '' }] }, MapPublicIpOnLaunch: false, Tags: tags(`private-${'ab'[i]}`) },
      });
      add(`${id}RouteTableAssociation`, { Type: 'AWS::EC2::SubnetRouteTableAssociation', Properties: { SubnetId: { Ref: id }, RouteTableId: { Ref: 'StageRouteTable' } } });
      return { Ref: id };
    });
    add('S3GatewayEndpoint', {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: { VpcId: vpcId, VpcEndpointType: 'Gateway', ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' }, RouteTableIds: [{ Ref: 'StageRouteTable' }] },
    });
  }

  add('FunctionsSecurityGroup', {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: `lambda-mpi ${options.stage}: the run and worker functions`,
      VpcId: vpcId,
      // S3 through the gateway endpoint: its addresses are the region's S3 prefix list, which
      // CloudFormation cannot name; the subnets route nowhere but to S3 and the VPC itself.
      SecurityGroupEgress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'S3 (gateway endpoint) and the interface endpoints, HTTPS only' }],
      Tags: tags('functions'),
    },
  });
  add('CacheSecurityGroup', {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: { GroupDescription: `lambda-mpi ${options.stage}: the Valkey cache`, VpcId: vpcId, SecurityGroupEgress: NO_EGRESS, Tags: tags('cache') },
  });
  add('EndpointsSecurityGroup', {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: { GroupDescription: `lambda-mpi ${options.stage}: the Lambda and STS interface endpoints`, VpcId: vpcId, SecurityGroupEgress: NO_EGRESS, Tags: tags('endpoints') },
  });
  // Rules between groups as resources of their own: inline, the groups would refer to each other.
  add('FunctionsToCacheEgress', {
    Type: 'AWS::EC2::SecurityGroupEgress',
    Properties: { GroupId: { 'Fn::GetAtt': ['FunctionsSecurityGroup', 'GroupId'] }, IpProtocol: 'tcp', FromPort: VALKEY_PORTS.from, ToPort: VALKEY_PORTS.to, DestinationSecurityGroupId: { 'Fn::GetAtt': ['CacheSecurityGroup', 'GroupId'] }, Description: 'Valkey (TLS)' },
  });
  add('CacheFromFunctionsIngress', {
    Type: 'AWS::EC2::SecurityGroupIngress',
    Properties: { GroupId: { 'Fn::GetAtt': ['CacheSecurityGroup', 'GroupId'] }, IpProtocol: 'tcp', FromPort: VALKEY_PORTS.from, ToPort: VALKEY_PORTS.to, SourceSecurityGroupId: { 'Fn::GetAtt': ['FunctionsSecurityGroup', 'GroupId'] }, Description: 'the run and worker functions' },
  });
  add('EndpointsFromFunctionsIngress', {
    Type: 'AWS::EC2::SecurityGroupIngress',
    Properties: { GroupId: { 'Fn::GetAtt': ['EndpointsSecurityGroup', 'GroupId'] }, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': ['FunctionsSecurityGroup', 'GroupId'] }, Description: 'the run and worker functions' },
  });

  // The fan-out (Invoke, GetAccountSettings) and a program's narrowed credentials (AssumeRole).
  for (const [id, service] of [['LambdaInterfaceEndpoint', 'lambda'], ['StsInterfaceEndpoint', 'sts']] as const) {
    add(id, {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcId: vpcId, VpcEndpointType: 'Interface', ServiceName: { 'Fn::Sub': `com.amazonaws.\${AWS::Region}.${service}` },
        SubnetIds: subnetIds, SecurityGroupIds: [{ 'Fn::GetAtt': ['EndpointsSecurityGroup', 'GroupId'] }], PrivateDnsEnabled: true,
      },
    });
  }

  add('ValkeyCache', {
    Type: 'AWS::ElastiCache::ServerlessCache',
    Properties: {
      ServerlessCacheName: `lambda-mpi-${options.stage}`,
      Description: `lambda-mpi ${options.stage}: one list per rank of every job`,
      Engine: 'valkey',
      MajorEngineVersion: '8',
      SubnetIds: subnetIds,
      SecurityGroupIds: [{ 'Fn::GetAtt': ['CacheSecurityGroup', 'GroupId'] }],
    },
  });
  const valkeyUrl = { 'Fn::Join': ['', ['rediss://', { 'Fn::GetAtt': ['ValkeyCache', 'Endpoint.Address'] }, ':', { 'Fn::GetAtt': ['ValkeyCache', 'Endpoint.Port'] }]] };

  for (const id of VPC_FUNCTIONS) {
    const fn = resources[id];
    if (!fn) throw new Error(`the template has no ${id}`);
    fn.Properties.VpcConfig = { SecurityGroupIds: [{ 'Fn::GetAtt': ['FunctionsSecurityGroup', 'GroupId'] }], SubnetIds: subnetIds };
    fn.Properties.Environment.Variables.LAMBDA_MPI_CHANNEL = 'valkey';
    fn.Properties.Environment.Variables.LAMBDA_MPI_VALKEY_URL = valkeyUrl;
    // Lambda places the function's network interfaces with its role; these actions take no resource.
    const roleId = fn.Properties.Role?.['Fn::GetAtt']?.[0];
    const role = roleId && resources[roleId];
    if (!role) throw new Error(`${id} has no role of its own in the template`);
    role.Properties.Policies.push({
      PolicyName: 'vpc-network-interfaces',
      PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ENI_ACTIONS, Resource: '*' }] },
    });
    fn.DependsOn = [...[fn.DependsOn ?? []].flat(), 'CacheFromFunctionsIngress', 'FunctionsToCacheEgress'];
  }
  template.Outputs ??= {};
  template.Outputs.ValkeyEndpoint = { Description: 'the stage\'s Valkey cache (TLS)', Value: valkeyUrl };
}

const ID = /^(vpc|subnet)-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Checks `--vpc` and `--subnets` as the stage's params carry them; an error names what is wrong and what is allowed. */
export function valkeyStageOptions(stage: string, vpcId: string, subnets: string): ValkeyStageOptions {
  if (!vpcId && !subnets) return { stage };
  if (!vpcId || !subnets) throw new Error('--vpc and --subnets go together: the VPC, and two or more of its private subnets (comma-separated)');
  if (!ID.test(vpcId) || !vpcId.startsWith('vpc-')) throw new Error(`--vpc must be a VPC id (vpc-, then 8 or 17 hex digits); received ${JSON.stringify(vpcId)}`);
  const subnetIds = subnets.split(',').map((s) => s.trim());
  const bad = subnetIds.find((s) => !ID.test(s) || !s.startsWith('subnet-'));
  if (bad !== undefined) throw new Error(`--subnets must be subnet ids (subnet-, then 8 or 17 hex digits), comma-separated; received ${JSON.stringify(bad)}`);
  if (subnetIds.length < 2) throw new Error(`--subnets must name two or more subnets (in two availability zones: the cache and the endpoints need them); received ${subnetIds.length}`);
  return { stage, vpcId, subnetIds };
}
