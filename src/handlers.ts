import { ResourceModel } from './models';
export const x: string = ResourceModel.TYPE_NAME;
