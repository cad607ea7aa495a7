import {
    CloudHSMV2Client,
    CloudHSMV2ServiceException,
    CloudHsmAccessDeniedException,
    CloudHsmResourceNotFoundException,
    DescribeClustersCommand as RealDescribeClustersCommand,
    DescribeClustersCommandInput,
    DescribeClustersCommandOutput,
} from '@aws-sdk/client-cloudhsm-v2';
import { AwsCommand, AwsStub, mockClient } from 'aws-sdk-client-mock';
import { CloudHsmAdapter } from '../../src/aws/cloudhsm';

// client-cloudhsm-v2 3.332 is typed against the old @aws-sdk/types (its MiddlewareStack lacks identifyOnResolve),
// which aws-sdk-client-mock 4.x's @smithy/types signatures reject. The runtime is fine; cast at this one boundary.
const DescribeClustersCommand = RealDescribeClustersCommand as unknown as new (
    input: DescribeClustersCommandInput,
) => AwsCommand<DescribeClustersCommandInput, DescribeClustersCommandOutput>;
const hsmMock = mockClient(CloudHSMV2Client as never) as unknown as AwsStub<DescribeClustersCommandInput, DescribeClustersCommandOutput, unknown>;
const hsm = new CloudHsmAdapter(new CloudHSMV2Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } }));
const md = { $metadata: {} };
const ID = 'cluster-1a23b4cdefg';

function inputs() {
    return hsmMock.commandCalls(DescribeClustersCommand).map((c) => c.args[0].input);
}

beforeEach(() => hsmMock.reset());
afterAll(() => hsmMock.restore());

describe('CloudHsmAdapter.describeCluster', () => {
    it('sends DescribeClusters with Filters.clusterIds = [id] (and nothing else) and maps to a plain Cluster', async () => {
        hsmMock.on(DescribeClustersCommand).resolves({
            Clusters: [
                {
                    ClusterId: ID,
                    State: 'ACTIVE',
                    HsmType: 'hsm1.medium',
                    Hsms: [
                        { HsmId: 'hsm-aaaaaaaaaaa', AvailabilityZone: 'us-east-1a', State: 'ACTIVE', EniIp: '10.0.0.5' },
                        { HsmId: 'hsm-bbbbbbbbbbb', AvailabilityZone: 'us-east-1b', State: 'CREATE_IN_PROGRESS' },
                    ],
                },
            ],
        });
        await expect(hsm.describeCluster(ID)).resolves.toStrictEqual({
            id: ID,
            state: 'ACTIVE',
            hsms: [
                { id: 'hsm-aaaaaaaaaaa', availabilityZone: 'us-east-1a', state: 'ACTIVE' },
                { id: 'hsm-bbbbbbbbbbb', availabilityZone: 'us-east-1b', state: 'CREATE_IN_PROGRESS' },
            ],
        });
        expect(inputs()).toStrictEqual([{ Filters: { clusterIds: [ID] } }]);
        expect(hsmMock.calls()).toHaveLength(1);
    });

    it('picks the cluster with the requested id and defaults missing members', async () => {
        hsmMock.on(DescribeClustersCommand).resolves({
            Clusters: [
                { ClusterId: 'cluster-other2222222', State: 'ACTIVE' },
                { ClusterId: ID, Hsms: [{ HsmId: undefined }] },
            ],
        });
        await expect(hsm.describeCluster(ID)).resolves.toStrictEqual({
            id: ID,
            state: 'UNKNOWN',
            hsms: [{ id: '', availabilityZone: '', state: '' }],
        });
    });

    it('returns an empty HSM list for a cluster without Hsms', async () => {
        hsmMock.on(DescribeClustersCommand).resolves({ Clusters: [{ ClusterId: ID, State: 'UNINITIALIZED' }] });
        await expect(hsm.describeCluster(ID)).resolves.toStrictEqual({ id: ID, state: 'UNINITIALIZED', hsms: [] });
    });

    it.each([
        ['an empty list', { Clusters: [] }],
        ['no Clusters member', {}],
        ['only other clusters', { Clusters: [{ ClusterId: 'cluster-other2222222', State: 'ACTIVE' }] }],
    ])('returns undefined for %s', async (_label, out) => {
        hsmMock.on(DescribeClustersCommand).resolves(out);
        await expect(hsm.describeCluster(ID)).resolves.toBeUndefined();
    });

    it('returns undefined for the base CloudHSMV2ServiceException named CloudHsmResourceNotFoundException (what 3.332 really throws)', async () => {
        const err = new CloudHSMV2ServiceException({ name: 'CloudHsmResourceNotFoundException', $fault: 'client', message: 'not found', ...md });
        expect(err).not.toBeInstanceOf(CloudHsmResourceNotFoundException);
        hsmMock.on(DescribeClustersCommand).rejects(err);
        await expect(hsm.describeCluster(ID)).resolves.toBeUndefined();
    });

    it('returns undefined for the modelled CloudHsmResourceNotFoundException class too', async () => {
        hsmMock.on(DescribeClustersCommand).rejects(new CloudHsmResourceNotFoundException({ message: 'not found', ...md }));
        await expect(hsm.describeCluster(ID)).resolves.toBeUndefined();
    });

    it.each([
        new CloudHsmAccessDeniedException({ message: 'denied', ...md }),
        new CloudHSMV2ServiceException({ name: 'CloudHsmInternalFailureException', $fault: 'server', ...md }),
        new CloudHSMV2ServiceException({ name: 'CloudHsmInvalidRequestException', $fault: 'client', ...md }),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    ])('propagates other errors unchanged (%#)', async (err) => {
        hsmMock.on(DescribeClustersCommand).rejects(err);
        await expect(hsm.describeCluster(ID)).rejects.toBe(err);
    });
});
