// Endpoints of online contracts (在线合同): standard terms and settings, the parties' contract details, directed
// listings and taking them with an SMS code, formal contracts with their PDFs, evidence and execution, the seals, and
// the public verification of a contract PDF.
import type {
  Contract,
  ContractExecution,
  ContractListQuery,
  ContractPage,
  ContractSettings,
  ContractTemplate,
  ContractTemplateList,
  CreateListingBody,
  CreateTemplateBody,
  Listing,
  ListingListQuery,
  ListingPage,
  PartyDetails,
  RevokeBody,
  SealCertificate,
  SealCertificateList,
  SealRightBody,
  SealRightList,
  SealRight,
  SealUsePage,
  SealUseQuery,
  SigningCodeSent,
  TakeListingBody,
  UpdatePartyDetailsBody,
  VerificationReport,
  VerifyByCodeQuery,
} from '@shared/api/contracts';
import { download, http } from './client';

export const contractTemplatesApi = {
  list: (signal?: AbortSignal) => http.get<ContractTemplateList>('/contract-templates', undefined, signal),
  /** a new draft version of the named template */
  create: (body: CreateTemplateBody) => http.post<ContractTemplate>('/contract-templates', body),
  /** the version becomes the active one; the previous active version of that name is retired */
  activate: (id: number) => http.post<ContractTemplate>(`/contract-templates/${id}/activate`),
};

export const contractSettingsApi = {
  get: (signal?: AbortSignal) => http.get<ContractSettings>('/contract-settings', undefined, signal),
  save: (body: ContractSettings) => http.put<ContractSettings>('/contract-settings', body),
};

/** The details a contract needs of a party (the mill or a customer), keyed by organisation id. */
export const contractPartiesApi = {
  get: (organisationId: number, signal?: AbortSignal) => http.get<PartyDetails>(`/contract-parties/${organisationId}`, undefined, signal),
  update: (organisationId: number, body: UpdatePartyDetailsBody) => http.put<PartyDetails>(`/contract-parties/${organisationId}`, body),
};

export const listingsApi = {
  list: (query: ListingListQuery, signal?: AbortSignal) => http.get<ListingPage>('/listings', query, signal),
  create: (body: CreateListingBody) => http.post<Listing>('/listings', body),
  get: (id: number, signal?: AbortSignal) => http.get<Listing>(`/listings/${id}`, undefined, signal),
  withdraw: (id: number) => http.post<Listing>(`/listings/${id}/withdraw`),
  /** an SMS code to the signer's verified phone, the willingness check before the seal is applied */
  sendCode: (id: number) => http.post<SigningCodeSent>(`/listings/${id}/code`),
  take: (id: number, body: TakeListingBody) => http.post<Contract>(`/listings/${id}/take`, body),
};

export const contractsApi = {
  list: (query: ContractListQuery, signal?: AbortSignal) => http.get<ContractPage>('/contracts', query, signal),
  get: (id: number, signal?: AbortSignal) => http.get<Contract>(`/contracts/${id}`, undefined, signal),
  /** the PDF of one version; the latest without a version */
  pdf: (id: number, version?: number) => download(`/contracts/${id}/pdf`, { version }, 'application/pdf'),
  execution: (id: number, signal?: AbortSignal) => http.get<ContractExecution>(`/contracts/${id}/execution`, undefined, signal),
  evidence: (id: number) => download(`/contracts/${id}/evidence`, undefined, 'application/zip'),
};

export const sealsApi = {
  certificates: (signal?: AbortSignal) => http.get<SealCertificateList>('/seals/certificates', undefined, signal),
  /** a new contract certificate for an organisation, e.g. after its last one was revoked */
  issue: (organisationId: number) => http.post<SealCertificate>('/seals/certificates', { organisationId, purpose: 'contract' }),
  revoke: (id: number, body: RevokeBody) => http.post<{ ok: true }>(`/seals/certificates/${id}/revoke`, body),
  uses: (query: SealUseQuery, signal?: AbortSignal) => http.get<SealUsePage>('/seals/uses', query, signal),
  rights: (signal?: AbortSignal) => http.get<SealRightList>('/seals/rights', undefined, signal),
  grant: (body: SealRightBody) => http.post<{ ok: true }>('/seals/rights', body),
  withdraw: (userId: number, right: SealRight) => http.delete<{ ok: true }>(`/seals/rights/${userId}/${right}`),
};

/** The portal's CA root, public, for importing into a PDF reader's trust store. */
export const ROOT_CERTIFICATE_URL = '/api/seals/root.pem';

/** Public, no sign-in: the report on a PDF sent as it is, or on a contract found by its number and printed code. */
export const verifyApi = {
  file: (pdf: Blob) => http.postFile<VerificationReport>('/verify', pdf, 'application/pdf'),
  byCode: (query: VerifyByCodeQuery) => http.get<VerificationReport>('/verify/contract', query),
};
