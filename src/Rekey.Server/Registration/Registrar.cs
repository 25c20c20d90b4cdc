using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Clients;
using Rekey.Server.Http;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Server.Registration;

/// <summary>A registration answered: the client as stored and its RFC 7591 client information (secret and registration access token included).</summary>
internal sealed record Registered(StoredClient Client, ClientInformation Information)
{
    public override string ToString() => $"Registered {{ ClientId = {Client.ClientId} }}";
}

/// <summary>
/// Dynamic client registration (RFC 7591) and its management (RFC 7592), once, for both ways in: the standard endpoints
/// (<see cref="RegistrationEndpoint"/>) and Authlete's registration API (<see cref="RegistrationApi"/>). A registered client
/// is an ordinary client whose document holds its metadata (<see cref="ClientMetadata"/>), with a registration access
/// token — kept as its SHA-256 only, replaced on every update — that lets it read, update and delete itself.
/// </summary>
internal sealed class Registrar(IRekeyStore store, TimeProvider time)
{
    /// <summary>The client configuration endpoint of a client: <c>{base}/{clientId}</c>.</summary>
    public static string ClientUri(string baseUri, long clientId) => $"{baseUri.TrimEnd('/')}/{clientId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Registers a client: validates the metadata, creates the client with a secret in the service's format (none shown
    /// to a public client), a registration access token, and — when <paramref name="initialAccessTokenId"/> is given —
    /// uses up that token in the same transaction. Nothing is written when anything is refused.
    /// </summary>
    public async Task<Outcome<Registered>> RegisterAsync(long serviceId, ServiceDocument service, JsonObject metadata, long? initialAccessTokenId, string clientUriBase,
        ChangeContext change, CancellationToken ct)
    {
        if (!ClientMetadata.ToDocument(metadata, service, existing: null).IsOk(out var document, out var error))
        {
            return error;
        }

        if (!ClientRules.Prepare(document).IsOk(out var prepared, out error))
        {
            return ClientMetadata.FromRule(error);
        }

        var token = SecretGenerator.NewRegistrationAccessToken();
        var created = await store.CreateClientAsync(new NewClient(serviceId, prepared.Alias, prepared.Developer, Locked: false, prepared.Document, Secret: null,
            new ClientRegistration(TokenHash.Of(token), initialAccessTokenId)), change, ct);
        return created.IsOk(out var client, out error) ? new Registered(client, ClientMetadata.Present(client, token, ClientUri(clientUriBase, client.ClientId))) : error;
    }

    /// <summary>
    /// The client a registration access token belongs to: the client of the service with exactly this numeric ID whose
    /// token has this SHA-256, and that is not locked. Any other case — no token, an alias, an unknown client, a client
    /// created through /api, another token, a locked client — is the same <paramref name="refusal"/>, so that the answer
    /// does not tell which clients exist. A locked client cannot read its secret or mint a new one with its token: a lock
    /// (by an operator, or by a leak response) holds against the registration too.
    /// </summary>
    /// <remarks><paramref name="withSecret"/>: whether the answer needs the current secret (read, update), opened only then.</remarks>
    public async Task<Outcome<StoredClient>> AuthenticateAsync(long serviceId, string clientId, string? token, ResultCode refusal, CancellationToken ct,
        bool withSecret = true)
    {
        var refused = RuleViolation.Of(refusal, UntrustedText.Printable(clientId, 40));
        if (string.IsNullOrEmpty(token) || clientId.Length is 0 or > 19 || !clientId.All(char.IsAsciiDigit))
        {
            return refused;
        }

        var found = await store.GetClientAsync(serviceId, clientId, withSecret, ct);
        return found.IsOk(out var client, out _) && !client.Locked && client.ClientId.ToString(CultureInfo.InvariantCulture) == clientId
               && client.RegistrationToken is { } stored && CryptographicOperations.FixedTimeEquals(stored, TokenHash.Of(token))
            ? client
            : refused;
    }

    /// <summary>RFC 7592 §2.1: the client's current information; the registration access token is the one it presented (it stays valid).</summary>
    public async Task<Outcome<Registered>> ReadAsync(long serviceId, string clientId, string? token, string clientUriBase, CancellationToken ct) =>
        (await AuthenticateAsync(serviceId, clientId, token, ResultCodes.RegistrationReadUnauthorized, ct)).IsOk(out var client, out var error)
            ? new Registered(client, ClientMetadata.Present(client, token, ClientUri(clientUriBase, client.ClientId)))
            : error;

    /// <summary>
    /// RFC 7592 §2.2: replaces the client's metadata (an omitted member is removed; what was set through /api and is not
    /// metadata stays) and its registration access token (the presented one stops working). <c>client_id</c>, when sent,
    /// must be the client's; <c>client_secret</c>, when sent, its current secret, which it keeps — a client that leaves it
    /// out, or whose secret has expired, gets a new one, and the replaced one stays valid for the service's grace period.
    /// A client cannot choose its secret.
    /// </summary>
    /// <remarks>
    /// <paramref name="current"/> is the client <see cref="AuthenticateAsync"/> found for <paramref name="token"/>; the
    /// store checks the token again under the client's row lock, so a concurrent update that replaced it wins and this
    /// one is refused (<c>A213301</c>).
    /// </remarks>
    public async Task<Outcome<Registered>> UpdateAsync(long serviceId, ServiceDocument service, StoredClient current, string token, JsonObject metadata,
        string clientUriBase, ChangeContext change, CancellationToken ct)
    {
        if (ClientMetadata.PresentedClientId(metadata) is { } presentedId && presentedId != current.ClientId.ToString(CultureInfo.InvariantCulture))
        {
            return RuleViolation.Of(ResultCodes.RegistrationUpdateMismatch, "client_id");
        }

        if (!ClientMetadata.PresentedSecret(metadata).IsOk(out var presentedSecret, out var error))
        {
            return error;
        }

        if (presentedSecret is not null
            && (current.CurrentSecret is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presentedSecret), Encoding.UTF8.GetBytes(current.CurrentSecret))))
        {
            return RuleViolation.Of(ResultCodes.RegistrationUpdateMismatch, "client_secret");
        }

        var existing = JsonNode.Parse(current.Document)?.AsObject() ?? [];
        existing["clientIdAlias"] = current.Alias;
        if (!ClientMetadata.ToDocument(metadata, service, existing).IsOk(out var document, out error))
        {
            return error;
        }

        if (!ClientRules.Prepare(document).IsOk(out var prepared, out error))
        {
            return ClientMetadata.FromRule(error);
        }

        var confidential = document["tokenAuthMethod"]?.GetValue<string>() != "NONE";
        var expired = current.CurrentSecretExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow().ToUnixTimeMilliseconds();
        var newToken = SecretGenerator.NewRegistrationAccessToken();
        var updated = await store.UpdateClientAsync(new ClientUpdate(serviceId, current.ClientId, prepared.Alias, prepared.Developer, prepared.Document,
            new RegistrationChange(TokenHash.Of(token), TokenHash.Of(newToken), RotateSecret: confidential && (presentedSecret is null || expired))), change, ct);
        return updated.IsOk(out var client, out error) ? new Registered(client, ClientMetadata.Present(client, newToken, ClientUri(clientUriBase, client.ClientId))) : error;
    }

    /// <summary>RFC 7592 §2.3: deletes the client (its secrets and its registration access token stop working at once).</summary>
    public async Task<Outcome<long>> DeleteAsync(long serviceId, string clientId, string? token, ChangeContext change, CancellationToken ct) =>
        (await AuthenticateAsync(serviceId, clientId, token, ResultCodes.RegistrationDeleteUnauthorized, ct, withSecret: false)).IsOk(out _, out var error)
            ? await store.DeleteClientAsync(serviceId, clientId, change, ct, TokenHash.Of(token!))
            : error;
}
