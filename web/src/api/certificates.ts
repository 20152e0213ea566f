// Endpoints of quality certificates (质保书): search and the certificate as issued, EN 10168 JSON, withdrawal, print
// rights, printed copies and their log, share links for a customer's buyer, and the public pages (share, verification).
import type {
  CertificateCopy,
  CertificateDetail,
  CertificateListQuery,
  CertificatePage,
  CertificateShare,
  CopyVerification,
  PrintLogEntry,
  PrintLogPage,
  PrintLogQuery,
  PrintRights,
  PrintRightsBody,
  ShareBody,
  SharedCertificate,
  WithdrawBody,
} from '@shared/api/certificates';
import { download, downloadPost, http } from './client';

export const certificatesApi = {
  list: (query: CertificateListQuery, signal?: AbortSignal) => http.get<CertificatePage>('/certificates', query, signal),
  get: (id: number, signal?: AbortSignal) => http.get<CertificateDetail>(`/certificates/${id}`, undefined, signal),
  /** EN 10168 groups A, B, C, D, Z as JSON, named by the server */
  en10168: (id: number) => download(`/certificates/${id}/en10168.json`, undefined, 'application/json'),
  withdraw: (id: number, body: WithdrawBody) => http.post<CertificateDetail>(`/certificates/${id}/withdraw`, body),
  /** a new sealed copy (副本 n/m), counted against the customer's copies of this certificate */
  print: (id: number) => http.post<CertificateCopy>(`/certificates/${id}/prints`),
  /** staff: every copy of the certificate; customers: their own */
  prints: (id: number, signal?: AbortSignal) =>
    http.get<PrintLogPage | PrintLogEntry[]>(`/certificates/${id}/prints`, undefined, signal).then((r) => (Array.isArray(r) ? r : r.items)),
  /** the stored PDF of a copy, from the pdfUrl the print answered */
  copyPdf: (copyNo: string) => download(`/certificate-copies/${encodeURIComponent(copyNo)}/pdf`, undefined, 'application/pdf'),
  shares: (id: number, signal?: AbortSignal) => http.get<CertificateShare[]>(`/certificates/${id}/shares`, undefined, signal),
  share: (id: number, body: ShareBody) => http.post<CertificateShare>(`/certificates/${id}/shares`, body),
  revokeShare: (shareId: number) => http.post<CertificateShare>(`/certificate-shares/${shareId}/revoke`),
};

/** Quality staff: print rights per customer, and the print log across certificates. */
export const printRightsApi = {
  get: (customerId: number, signal?: AbortSignal) => http.get<PrintRights>(`/certificate-print-rights/${customerId}`, undefined, signal),
  save: (customerId: number, body: PrintRightsBody) => http.put<PrintRights>(`/certificate-print-rights/${customerId}`, body),
  log: (query: PrintLogQuery, signal?: AbortSignal) => http.get<PrintLogPage>('/certificate-prints', query, signal),
};

/** Public, no sign-in: a buyer's share link and the verification of a printed copy. */
export const publicCertificatesApi = {
  shared: (token: string, signal?: AbortSignal) => http.get<SharedCertificate>(`/shared-certificates/${encodeURIComponent(token)}`, undefined, signal),
  printShared: (token: string) => downloadPost(`/shared-certificates/${encodeURIComponent(token)}/prints`),
  verify: (code: string, signal?: AbortSignal) => http.get<CopyVerification>(`/certificate-verify/${encodeURIComponent(code)}`, undefined, signal),
  verifyFile: (code: string, pdf: Blob) => http.postFile<CopyVerification>(`/certificate-verify/${encodeURIComponent(code)}`, pdf, 'application/pdf'),
};
