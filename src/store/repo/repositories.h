// Factories for the repository implementations. Each is written once, over the SQL seam, and
// serves both backends.
#pragma once

#include <memory>

#include "store/repo/common.h"
#include "store/store.h"

namespace troupe::store::repo {

std::unique_ptr<UserRepository> NewUserRepository(const Context& context);
std::unique_ptr<ApiKeyRepository> NewApiKeyRepository(const Context& context);
std::unique_ptr<CharacterRepository> NewCharacterRepository(const Context& context);
std::unique_ptr<ConversationRepository> NewConversationRepository(const Context& context);
std::unique_ptr<MessageRepository> NewMessageRepository(const Context& context);
std::unique_ptr<MemoryRepository> NewMemoryRepository(const Context& context);
std::unique_ptr<FeedbackRepository> NewFeedbackRepository(const Context& context);
std::unique_ptr<JobRepository> NewJobRepository(const Context& context);
std::unique_ptr<AuditLog> NewAuditLog(const Context& context);
std::unique_ptr<ToolCallRepository> NewToolCallRepository(const Context& context);
std::unique_ptr<KpiRepository> NewKpiRepository(const Context& context);
std::unique_ptr<UserDataRepository> NewUserDataRepository(const Context& context);
std::unique_ptr<AgentRepository> NewAgentRepository(const Context& context);
std::unique_ptr<CustomerRepository> NewCustomerRepository(const Context& context);
std::unique_ptr<SegmentRepository> NewSegmentRepository(const Context& context);
std::unique_ptr<CampaignRepository> NewCampaignRepository(const Context& context);
std::unique_ptr<EvalRunRepository> NewEvalRunRepository(const Context& context);
std::unique_ptr<ExperimentRepository> NewExperimentRepository(const Context& context);
std::unique_ptr<PredictionRepository> NewPredictionRepository(const Context& context);
std::unique_ptr<AnalyticsRepository> NewAnalyticsRepository(const Context& context);

}  // namespace troupe::store::repo
