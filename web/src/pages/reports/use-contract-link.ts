// Opens the portal's contract page for a contract number a report shows. Reports count ERP documents, whose contract
// may have been signed outside the portal: those have no page, and the reader is told so instead of a broken link.
import { useRouter } from 'vue-router';
import { useI18n } from 'vue-i18n';
import { ElMessage } from 'element-plus';
import { contractsApi } from '@/api/contracts';
import { errorMessage } from '@/utils/errors';

/** The contract search takes at most this many characters (shared ContractListQuery.q). */
const SEARCH_MAX = 32;

export function useContractLink(scope: 'customer' | 'staff') {
  const router = useRouter();
  const { t } = useI18n();

  async function openContract(contractNo: string): Promise<void> {
    try {
      const found =
        contractNo.length <= SEARCH_MAX ? (await contractsApi.list({ q: contractNo, pageSize: 10 })).items.find((c) => c.contractNo === contractNo) : undefined;
      if (!found) {
        ElMessage.info(t('reports.managers.notInPortal', { no: contractNo }));
        return;
      }
      await router.push({ name: scope === 'staff' ? 'staff-contract-detail' : 'contract-detail', params: { id: found.id } });
    } catch (failure) {
      ElMessage.error(errorMessage(failure));
    }
  }

  return { openContract };
}
