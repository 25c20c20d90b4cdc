using System.Globalization;
using System.Text.Json;
using Rekey.Contracts;

namespace Rekey.Testing;

/// <summary>
/// A client as created (<see cref="TestApi.CreateClientAsync(HttpClient, long, string)"/>): its service, numeric ID,
/// alias, generated secret, and the answer to its creation. Tests that speak in IDs take it apart as
/// <c>var (clientId, secret) = …</c>. Its <see cref="ToString"/> never shows the secret.
/// </summary>
public sealed record TestClient(long ServiceId, long ClientId, string? Alias, string Secret, Reply Created)
{
    public string Id => ClientId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The created client's document, as the SDK and the CLI read it.</summary>
    public ClientDocument Document => Created.Json.Deserialize(RekeyJsonContext.Default.ClientDocument)
        ?? throw new InvalidOperationException("No client document: " + Created);

    public void Deconstruct(out long clientId, out string secret)
    {
        clientId = ClientId;
        secret = Secret;
    }

    public string GetPath(string? identifier = null) => $"/api/{ServiceId}/client/get/{identifier ?? Id}";

    public string UpdatePath(string? identifier = null) => $"/api/{ServiceId}/client/update/{identifier ?? Id}";

    public string DeletePath(string? identifier = null) => $"/api/{ServiceId}/client/delete/{identifier ?? Id}";

    public string LockPath(string? identifier = null) => $"/api/{ServiceId}/client/lock_flag/update/{identifier ?? Id}";

    public string SecretUpdatePath(string? identifier = null) => $"/api/{ServiceId}/client/secret/update/{identifier ?? Id}";

    public string SecretRefreshPath(string? identifier = null) => $"/api/{ServiceId}/client/secret/refresh/{identifier ?? Id}";

    public override string ToString() => $"TestClient {{ ServiceId = {ServiceId}, ClientId = {ClientId}, Alias = {Alias} }}";
}
