using Microsoft.AspNetCore.Http.HttpResults;
using Rekey.Contracts;
using Rekey.Server.Auth;
using Rekey.Server.Clients;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Audit;

/// <summary>
/// Builds the <see cref="ChangeContext"/> of a request (actor, time, remote address, request ID, and the action
/// the endpoint declared) and records refused attempts. Audit events name tokens by ID, never by value.
/// </summary>
internal sealed class Changes(IRekeyStore store, TimeProvider time)
{
    private const int MaxTargetLength = 200;

    public ChangeContext For(HttpContext http)
    {
        var caller = http.GetCaller();
        var name = http.GetEndpoint()?.Metadata.GetMetadata<AuditedAction>()?.Name
            ?? throw new InvalidOperationException("The endpoint declares no audited action.");
        return new ChangeContext(name, time.GetUtcNow().ToUnixTimeMilliseconds(), caller.Kind, caller.TokenId,
            http.Connection.RemoteIpAddress?.ToString(), http.TraceIdentifier);
    }

    /// <summary>Records the refusal of an audited change, then answers it.</summary>
    public async Task<JsonHttpResult<ResultResponse>> RefuseAsync(HttpContext http, ChangeContext change, RuleViolation error, long? serviceId, string? target = null)
    {
        await RecordAsync(http, change, error, serviceId, target);
        return AuthleteResults.Error(error);
    }

    /// <summary>Records the refusal of an audited change; the caller answers it (the console with a page).</summary>
    public async Task RecordAsync(HttpContext http, ChangeContext change, RuleViolation error, long? serviceId, string? target = null)
    {
        var clientId = await ClientOfAsync(http, serviceId);
        var named = target is null ? TargetOf(http) : UntrustedText.Printable(target, MaxTargetLength);
        await store.AppendAuditAsync(new AuditRecord(change, serviceId, clientId, null, error.Code.Code, named), http.RequestAborted);
    }

    /// <summary>For a refusal before the handler ran (<see cref="ApiAuth"/>): records it when the endpoint is audited.</summary>
    public async Task RecordRefusalAsync(HttpContext http, RuleViolation error, long? serviceId)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<AuditedAction>() is null)
        {
            return;
        }

        var clientId = await ClientOfAsync(http, serviceId);
        await store.AppendAuditAsync(new AuditRecord(For(http), serviceId, clientId, null, error.Code.Code, TargetOf(http)), http.RequestAborted);
    }

    /// <summary>
    /// The client the refused request named, when it exists in that service: so that the trail of a client (the
    /// <c>clientId</c> filter) shows the attempts on it too. Never decrypts anything.
    /// </summary>
    private async Task<long?> ClientOfAsync(HttpContext http, long? serviceId)
    {
        if (serviceId is not { } sid || http.Request.RouteValues["clientIdentifier"] is not string identifier || !ClientRules.CouldNameAClient(identifier))
        {
            return null;
        }

        var found = await store.GetClientAsync(sid, identifier, withSecret: false, http.RequestAborted);
        return found.Value?.ClientId;
    }

    /// <summary>
    /// The identifier the caller named in the path (client ID or alias, token ID, secret ID): never a secret. A refused
    /// request may name anything, so it is stored escaped and cut (<see cref="UntrustedText.Printable"/>): the audit
    /// list and the CLI that shows it get no control character. Valid identifiers are far shorter and stored as sent.
    /// </summary>
    private static string? TargetOf(HttpContext http)
    {
        var values = http.Request.RouteValues;
        var target = values["clientIdentifier"] ?? values["tokenId"];
        return target is string text ? UntrustedText.Printable(text, MaxTargetLength) : null;
    }
}
