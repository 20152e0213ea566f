// Endpoints of surveys (问卷调查): staff build, target, publish and read results; customers answer their invitations.
import type {
  Answers,
  InvitationDetail,
  InvitationList,
  Survey,
  SurveyInput,
  SurveyListQuery,
  SurveyPage,
  SurveyResults,
  SurveyTemplateList,
  Target,
  TargetCount,
} from '@shared/api/surveys';
import { download, http } from './client';

export const surveysApi = {
  list: (query: SurveyListQuery, signal?: AbortSignal) => http.get<SurveyPage>('/surveys', query, signal),
  get: (id: number, signal?: AbortSignal) => http.get<Survey>(`/surveys/${id}`, undefined, signal),
  create: (body: SurveyInput) => http.post<Survey>('/surveys', body),
  update: (id: number, body: SurveyInput) => http.put<Survey>(`/surveys/${id}`, body),
  publish: (id: number) => http.post<Survey>(`/surveys/${id}/publish`),
  close: (id: number) => http.post<Survey>(`/surveys/${id}/close`),
  newVersion: (id: number) => http.post<Survey>(`/surveys/${id}/versions`),
  templates: () => http.get<SurveyTemplateList>('/survey-templates'),
  targetCount: (target: Target) => http.post<TargetCount>('/surveys/target-count', target),
  results: (id: number, q: string, signal?: AbortSignal) => http.get<SurveyResults>(`/surveys/${id}/results`, { q }, signal),
  csv: (id: number) => download(`/surveys/${id}/export.csv`, undefined, 'text/csv'),
  pdf: (id: number) => download(`/surveys/${id}/summary.pdf`, undefined, 'application/pdf'),
};

export const mySurveysApi = {
  list: (signal?: AbortSignal) => http.get<InvitationList>('/my-surveys', undefined, signal),
  get: (id: number, signal?: AbortSignal) => http.get<InvitationDetail>(`/my-surveys/${id}`, undefined, signal),
  saveDraft: (id: number, answers: Answers) => http.put<InvitationDetail>(`/my-surveys/${id}/draft`, { answers }),
  submit: (id: number, answers: Answers) => http.post<InvitationDetail>(`/my-surveys/${id}/submit`, { answers }),
};
