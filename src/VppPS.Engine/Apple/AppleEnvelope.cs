using VppPS.Engine.Apple.Wire;

namespace VppPS.Engine.Apple;

/// <summary>
/// The envelope of one successful answer, handed to <see cref="AppleClient.EnvelopeReceived"/>
/// so the token layer can check on every response that no other MDM took the location.
/// </summary>
/// <param name="Endpoint">The request it came from, e.g. "GET /mdm/v2/assets?pageIndex=3".</param>
public sealed record AppleEnvelope(string Endpoint, string? UId, DateTimeOffset? TokenExpirationDate, MdmInfo? MdmInfo);
