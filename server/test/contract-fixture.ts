// The two parties of the sample contracts that the renderer's tests and its benchmark print.
import type { ContractParty } from '../src/modules/contracts/document.js';

export const SELLER: ContractParty = {
  name: '江南钢铁股份有限公司',
  creditCode: '91320582MA1NX8TQ3K',
  address: '江苏省张家港市锦丰镇沙钢大道1号',
  legalRepresentative: '王建国',
  phone: '0512-58561234',
  bankName: '中国工商银行张家港分行',
  bankAccount: '1102 0282 0900 0012 345',
};

export const BUYER: ContractParty = {
  name: '上海恒达钢材贸易有限公司',
  creditCode: '91310115MA7EH4LB2W',
  address: '上海市宝山区蕴川路2888号',
  legalRepresentative: '李明',
  agent: '张伟',
  phone: '021-56781234',
  bankName: '招商银行上海宝山支行',
  bankAccount: '1219 0876 5410 301',
};
