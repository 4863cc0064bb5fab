using System.Text.Json.Serialization;

namespace VppPS.Engine.Apple.Wire;

/// <summary>
/// Source-generated serializers for every wire type: no reflection per row, which matters
/// when a sync reads a million assignments. Unknown fields are skipped.
/// </summary>
[JsonSourceGenerationOptions(UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(AppleErrorBody))]
[JsonSerializable(typeof(ServiceConfigResponse))]
[JsonSerializable(typeof(ClientConfigRequest))]
[JsonSerializable(typeof(ClientConfigResponse))]
[JsonSerializable(typeof(GetAssetsResponse))]
[JsonSerializable(typeof(GetAssignmentsResponse))]
[JsonSerializable(typeof(GetUsersResponse))]
[JsonSerializable(typeof(ManageAssetsRequest))]
[JsonSerializable(typeof(RevokeAssetsRequest))]
[JsonSerializable(typeof(ManageUsersRequest))]
[JsonSerializable(typeof(EventResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(SubscriptionManagementResponse))]
[JsonSerializable(typeof(GetSubscriptionsResponse))]
[JsonSerializable(typeof(GetSubscriptionAssignmentsResponse))]
[JsonSerializable(typeof(ManageSubscriptionsRequest))]
internal sealed partial class AppleJsonContext : JsonSerializerContext;
