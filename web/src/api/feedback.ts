// Endpoints of customer feedback (客户反馈 / 质量异议): the list, submission, one item with its thread, replies and
// notes, state changes, assignment, rating, attachments (one raw file per request) and the staff analysis.
import type {
  CreateFeedbackBody,
  FeedbackAnalysis,
  FeedbackAnalysisQuery,
  FeedbackAssignees,
  FeedbackAttachment,
  FeedbackDetail,
  FeedbackListQuery,
  FeedbackMessageBody,
  FeedbackPage,
  FeedbackRateBody,
  FeedbackTargets,
  FeedbackTransitionBody,
} from '@shared/api/feedback';
import { download, http } from './client';

export const feedbackApi = {
  list: (query: FeedbackListQuery, signal?: AbortSignal) => http.get<FeedbackPage>('/feedback', query, signal),
  create: (body: CreateFeedbackBody) => http.post<FeedbackDetail>('/feedback', body),
  get: (id: number, signal?: AbortSignal) => http.get<FeedbackDetail>(`/feedback/${id}`, undefined, signal),
  targets: (signal?: AbortSignal) => http.get<FeedbackTargets>('/feedback/targets', undefined, signal),
  message: (id: number, body: FeedbackMessageBody) => http.post<FeedbackDetail>(`/feedback/${id}/messages`, body),
  transition: (id: number, body: FeedbackTransitionBody) => http.post<FeedbackDetail>(`/feedback/${id}/transition`, body),
  assign: (id: number, assigneeId: number) => http.post<FeedbackDetail>(`/feedback/${id}/assign`, { assigneeId }),
  rate: (id: number, body: FeedbackRateBody) => http.post<FeedbackDetail>(`/feedback/${id}/rating`, body),
  assignees: (signal?: AbortSignal) => http.get<FeedbackAssignees>('/feedback/assignees', undefined, signal),
  analysis: (query: FeedbackAnalysisQuery, signal?: AbortSignal) => http.get<FeedbackAnalysis>('/feedback/analysis', query, signal),
  /** the file itself as the body; its name travels in the query (display only, the server sanitises it) */
  attach: (id: number, file: File, internal = false) =>
    http.postFile<FeedbackAttachment>(`/feedback/${id}/attachments?name=${encodeURIComponent(file.name)}${internal ? '&internal=true' : ''}`, file, 'application/octet-stream'),
  download: (id: number, attachmentId: number, accept: string) => download(`/feedback/${id}/attachments/${attachmentId}`, undefined, accept),
};
