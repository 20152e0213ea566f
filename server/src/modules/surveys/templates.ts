// The two questionnaires the issue asks to have ready to copy: product quality and service quality (in Chinese, the
// language the mill's customers answer in). Staff copy one into a new draft and change it as they like.
import type { SurveyInput } from '../../../../shared/api/surveys.js';

const satisfaction = [
  { id: 'q', label: '产品质量' },
  { id: 'd', label: '交货及时性' },
  { id: 's', label: '服务' },
  { id: 'p', label: '价格' },
];

export const SURVEY_TEMPLATES: { code: string; survey: SurveyInput }[] = [
  {
    code: 'product_quality',
    survey: {
      title: '产品质量满意度调查',
      introduction: '感谢贵司一直以来的支持。为持续改进产品质量，请花几分钟填写本问卷。',
      kind: 'campaign',
      triggerEvent: null,
      answerPer: 'organisation',
      anonymous: false,
      opensAt: null,
      closesAt: null,
      target: { all: true },
      sections: [
        {
          id: 's1',
          title: '总体评价',
          questions: [
            { id: 'variety', type: 'multiple', title: '贵司采购的主要品种', required: true, options: [
              { id: 'rebar', label: '螺纹钢' }, { id: 'wire_rod', label: '线材' }, { id: 'hot_rolled_coil', label: '热轧卷板' }, { id: 'plate', label: '中厚板' }, { id: 'other', label: '其他' },
            ], minChoices: 1 },
            { id: 'overall', type: 'rating', title: '对我厂产品质量的总体满意度', required: true },
            { id: 'aspects', type: 'matrix', title: '请对以下方面评分（1 很不满意 – 5 很满意）', required: true, items: [
              { id: 'chem', label: '化学成分稳定性' }, { id: 'mech', label: '力学性能' }, { id: 'surface', label: '表面质量' }, { id: 'size', label: '尺寸精度' }, { id: 'pack', label: '包装标识' },
            ] },
            { id: 'problem', type: 'single', title: '近半年是否遇到质量问题？', required: true, options: [{ id: 'yes', label: '是' }, { id: 'no', label: '否' }] },
            { id: 'problem_text', type: 'long_text', title: '请描述遇到的质量问题', required: false, showIf: { questionId: 'problem', anyOf: ['yes'] } },
          ],
        },
        {
          id: 's2',
          title: '推荐意愿',
          questions: [
            { id: 'nps', type: 'nps', title: '您向同行推荐我厂产品的可能性有多大？（0–10）', required: true },
            { id: 'suggest', type: 'long_text', title: '其他意见和建议', required: false },
          ],
        },
      ],
    },
  },
  {
    code: 'service_quality',
    survey: {
      title: '客户服务满意度调查',
      introduction: '为提升服务水平，请对我厂销售、物流和售后服务进行评价。',
      kind: 'campaign',
      triggerEvent: null,
      answerPer: 'user',
      anonymous: true,
      opensAt: null,
      closesAt: null,
      target: { all: true },
      sections: [
        {
          id: 's1',
          title: '服务评价',
          questions: [
            { id: 'aspects', type: 'matrix', title: '请对以下方面评分（1 很不满意 – 5 很满意）', required: true, items: satisfaction },
            { id: 'manager', type: 'rating', title: '对客户经理的满意度', required: true },
            { id: 'channel', type: 'single', title: '您最常用的联系方式', required: false, options: [
              { id: 'portal', label: '门户网站' }, { id: 'phone', label: '电话' }, { id: 'visit', label: '上门拜访' },
            ] },
            { id: 'nps', type: 'nps', title: '您向同行推荐我厂的可能性有多大？（0–10）', required: true },
            { id: 'low_reason', type: 'short_text', title: '评分较低的主要原因', required: false, showIf: { questionId: 'nps', anyOf: [0, 1, 2, 3, 4, 5, 6] } },
          ],
        },
      ],
    },
  },
];
