using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Rekey.Contracts;

namespace Rekey.Tests.Security;

/// <summary>
/// The audit trail: one event per change with who, from where, which request, what and on which secret; refusals
/// of authenticated callers with their result code; filters, paging, and who may read which events.
/// </summary>
public abstract class AuditTrailSuite : SecuritySuite
{
    private static async Task<(List<JsonObject> Events, int Total)> AuditAsync(HttpClient client, string path)
    {
        var (status, body) = await client.GetForJsonAsync(path);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return ([.. body["events"]!.AsArray().Select(e => e!.AsObject())], body["totalCount"]!.GetValue<int>());
    }

    /// <summary>Every event of the organisation, oldest first.</summary>
    private static async Task<List<JsonObject>> AllEventsAsync(HttpClient admin)
    {
        var (events, total) = await AuditAsync(admin, "/api/audit/get/list?end=1000");
        Assert.Equal(total, events.Count);
        events.Reverse();
        return events;
    }

    private static long? Long(JsonObject e, string property) => e[property]?.GetValue<long>();

    private static string? Str(JsonObject e, string property) => e[property]?.GetValue<string>();

    [Fact]
    public async Task every_change_writes_one_success_event_with_actor_origin_request_and_target()
    {
        var time = new FakeTimeProvider(Start);
        var host = await StartAsync(time: time);
        var admin = host.CreateAdminClient();

        var serviceId = await admin.CreateServiceAsync(grace: 3600);
        var (status, _) = await admin.PostForJsonAsync($"/api/{serviceId}/service/update", Wire.Json("""{"serviceName":"renamed","clientSecretGracePeriod":3600}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        var (clientId, _) = await admin.CreateClientAsync(serviceId);
        var createdSecretId = await admin.CurrentSecretIdAsync(serviceId, clientId);
        (status, _) = await admin.PostForJsonAsync($"/api/{serviceId}/client/update/{clientId}", Wire.Json("""{"clientName":"renamed"}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        await admin.LockClientAsync(serviceId, clientId);
        await admin.LockClientAsync(serviceId, clientId, locked: false);
        await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        var updatedSecretId = await admin.CurrentSecretIdAsync(serviceId, clientId);
        await admin.RefreshSecretAsync(serviceId, clientId);
        var refreshedSecretId = await admin.CurrentSecretIdAsync(serviceId, clientId);
        await admin.RevokeSecretAsync(serviceId, clientId, updatedSecretId);
        var (tokenId, token) = await admin.CreateApiTokenAsync(serviceId, Permissions.ClientWrite, Permissions.ClientSecretWrite, Permissions.ClientRead);
        var service = host.CreateClient(token);
        (status, _) = await service.PostForJsonAsync($"/api/{serviceId}/client/update/{clientId}", Wire.Json("""{"clientName":"by token"}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        await service.RefreshSecretAsync(serviceId, clientId);
        var tokenSecretId = await service.CurrentSecretIdAsync(serviceId, clientId);
        var (rotated, rotation) = await admin.PostForJsonAsync("/api/keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated);
        var newKeyId = Sec.Text(rotation["keys"]!.AsArray().Single(k => k!["current"]!.GetValue<bool>()), "keyId");
        (status, _) = await admin.SendForJsonAsync(HttpMethod.Delete, $"/api/{serviceId}/client/delete/{clientId}");
        Assert.Equal(HttpStatusCode.NoContent, status);
        (status, _) = await admin.SendForJsonAsync(HttpMethod.Delete, $"/api/apitoken/delete/{tokenId}");
        Assert.Equal(HttpStatusCode.NoContent, status);
        (status, _) = await admin.SendForJsonAsync(HttpMethod.Delete, $"/api/{serviceId}/service/delete");
        Assert.Equal(HttpStatusCode.NoContent, status);

        var events = await AllEventsAsync(admin);

        // (action, client, secret, token actor?) in order; every event names the service except the key rotation.
        (string Action, long? Client, long? Secret, bool ByToken)[] expected =
        [
            (AuditActions.ServiceCreate, null, null, false),
            (AuditActions.ServiceUpdate, null, null, false),
            (AuditActions.ClientCreate, clientId, createdSecretId, false),
            (AuditActions.ClientUpdate, clientId, null, false),
            (AuditActions.ClientLock, clientId, null, false),
            (AuditActions.ClientUnlock, clientId, null, false),
            (AuditActions.SecretUpdate, clientId, updatedSecretId, false),
            (AuditActions.SecretRefresh, clientId, refreshedSecretId, false),
            (AuditActions.SecretRevoke, clientId, updatedSecretId, false),
            (AuditActions.ApiTokenCreate, null, null, false),
            (AuditActions.ClientUpdate, clientId, null, true),
            (AuditActions.SecretRefresh, clientId, tokenSecretId, true),
            (AuditActions.KeyRotate, null, null, false),
            (AuditActions.ClientDelete, clientId, null, false),
            (AuditActions.ApiTokenDelete, null, null, false),
            (AuditActions.ServiceDelete, null, null, false),
        ];
        Assert.Equal(expected.Select(e => e.Action), events.Select(e => Str(e, "action")));
        for (var i = 0; i < expected.Length; i++)
        {
            var (action, client, secret, byToken) = expected[i];
            var e = events[i];
            Assert.Equal("success", Str(e, "outcome"));
            Assert.Equal(byToken ? "service" : "organisation", Str(e, "actorKind"));
            Assert.Equal(byToken ? tokenId : null, Long(e, "actorTokenId"));
            Assert.True(IPAddress.IsLoopback(IPAddress.Parse(Str(e, "remoteAddress") ?? "0.0.0.0")), e.ToJsonString());
            Assert.False(string.IsNullOrEmpty(Str(e, "requestId")), e.ToJsonString());
            Assert.Equal(Start.ToUnixTimeMilliseconds(), Long(e, "occurredAt"));
            Assert.Equal(action == AuditActions.KeyRotate ? null : serviceId, Long(e, "serviceId"));
            Assert.Equal(client, Long(e, "clientId"));
            Assert.Equal(secret, Long(e, "secretId"));
        }

        Assert.Equal(events.Count, events.Select(e => Str(e, "requestId")).Distinct().Count());
        Assert.Equal(tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture), Str(events[9], "target"));
        Assert.Equal(tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture), Str(events[14], "target"));
        Assert.Equal(newKeyId, Str(events[12], "target"));
    }

    [Fact]
    public async Task refused_attempts_of_authenticated_callers_are_recorded_with_their_result_code()
    {
        var host = await StartAsync();
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var otherServiceId = await admin.CreateServiceAsync();
        var (clientId, _) = await admin.CreateClientAsync(serviceId);
        var currentId = await admin.CurrentSecretIdAsync(serviceId, clientId);
        var (readerId, reader) = await admin.CreateApiTokenAsync(serviceId, Permissions.ClientRead, Permissions.ClientWrite);
        var readerClient = host.CreateClient(reader);
        var baseline = (await AllEventsAsync(admin)).Count;

        var (status, body) = await admin.SendUpdateSecretAsync(serviceId, clientId, "has space!");
        Assert.Equal(("A149205", HttpStatusCode.BadRequest), (Sec.Code(body), status));
        (status, body) = await admin.SendUpdateSecretAsync(serviceId, "no-such-client", TestApi.NewSecret());
        Assert.Equal(("A000211", HttpStatusCode.NotFound), (Sec.Code(body), status));
        (status, body) = await admin.SendRevokeSecretAsync(serviceId, clientId, currentId);
        Assert.Equal(("A151201", HttpStatusCode.BadRequest), (Sec.Code(body), status));
        (status, body) = await readerClient.SendUpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        Assert.Equal(("A000203", HttpStatusCode.Forbidden), (Sec.Code(body), status));
        (status, body) = await readerClient.PostForJsonAsync($"/api/{otherServiceId}/client/create", Wire.Json("{}"));
        Assert.Equal(("A000204", HttpStatusCode.Forbidden), (Sec.Code(body), status));

        // Not recorded: a read (not a change), and a caller who is not authenticated.
        (status, _) = await host.CreateClient(RekeyHost.AdminToken).GetForJsonAsync($"/api/{serviceId}/client/get/{clientId}");
        Assert.Equal(HttpStatusCode.OK, status);
        (status, _) = await host.CreateClient("rk_not-a-token").SendUpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        var refused = (await AllEventsAsync(admin)).Skip(baseline).ToList();
        var idText = clientId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        (string Action, string Outcome, long Service, string? Target, long? Token)[] expected =
        [
            (AuditActions.SecretUpdate, "A149205", serviceId, idText, null),
            (AuditActions.SecretUpdate, "A000211", serviceId, "no-such-client", null),
            (AuditActions.SecretRevoke, "A151201", serviceId, idText, null),
            (AuditActions.SecretUpdate, "A000203", serviceId, idText, readerId),
            (AuditActions.ClientCreate, "A000204", otherServiceId, null, readerId),
        ];
        Assert.Equal(expected.Length, refused.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            var e = refused[i];
            Assert.Equal(expected[i], (Str(e, "action")!, Str(e, "outcome")!, Long(e, "serviceId") ?? 0, Str(e, "target"), Long(e, "actorTokenId")));
            Assert.Equal(expected[i].Token is null ? "organisation" : "service", Str(e, "actorKind"));
            Assert.Equal(expected[i].Target == idText ? clientId : null, Long(e, "clientId"));
            Assert.Null(Long(e, "secretId"));
            Assert.False(string.IsNullOrEmpty(Str(e, "requestId")));
        }
    }

    [Fact]
    public async Task the_service_audit_list_filters_by_client_and_action_and_pages_newest_first()
    {
        var host = await StartAsync();
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var (a, _) = await admin.CreateClientAsync(serviceId);
        var (b, _) = await admin.CreateClientAsync(serviceId);
        for (var i = 0; i < 3; i++)
        {
            await admin.UpdateSecretAsync(serviceId, a, TestApi.NewSecret());
        }

        await admin.UpdateSecretAsync(serviceId, b, TestApi.NewSecret());
        var list = $"/api/{serviceId}/audit/get/list";

        var (ofA, totalA) = await AuditAsync(admin, $"{list}?clientId={a}&end=100");
        Assert.Equal(4, totalA);
        Assert.All(ofA, e => Assert.Equal(a, Long(e, "clientId")));
        Assert.Equal([AuditActions.SecretUpdate, AuditActions.SecretUpdate, AuditActions.SecretUpdate, AuditActions.ClientCreate], ofA.Select(e => Str(e, "action")));

        var (updates, totalUpdates) = await AuditAsync(admin, $"{list}?action={AuditActions.SecretUpdate}&end=100");
        Assert.Equal(4, totalUpdates);
        Assert.All(updates, e => Assert.Equal(AuditActions.SecretUpdate, Str(e, "action")));
        Assert.Equal(b, Long(updates[0], "clientId"));

        var (both, totalBoth) = await AuditAsync(admin, $"{list}?clientId={b}&action={AuditActions.SecretUpdate}");
        Assert.Equal(1, totalBoth);
        Assert.Equal(b, Long(Assert.Single(both), "clientId"));

        var (all, total) = await AuditAsync(admin, $"{list}?end=100");
        Assert.Equal(7, total); // service create, 2 client creates, 4 updates
        var (first, firstTotal) = await AuditAsync(admin, $"{list}?start=0&end=3");
        var (second, _) = await AuditAsync(admin, $"{list}?start=3&end=6");
        var (last, _) = await AuditAsync(admin, $"{list}?start=6&end=9");
        Assert.Equal(total, firstTotal);
        Assert.Equal(all.Select(e => Long(e, "eventId")), first.Concat(second).Concat(last).Select(e => Long(e, "eventId")));
        Assert.Equal(all.Select(e => Long(e, "eventId")).OrderDescending(), all.Select(e => Long(e, "eventId")));
        Assert.Equal(AuditActions.ServiceCreate, Str(Assert.Single(last), "action"));

        var (status, body) = await admin.GetForJsonAsync($"{list}?action=client.secret.read");
        Assert.Equal(("A170201", HttpStatusCode.BadRequest), (Sec.Code(body), status));
        (status, body) = await admin.GetForJsonAsync($"{list}?clientId=abc");
        Assert.Equal(("A000212", HttpStatusCode.BadRequest), (Sec.Code(body), status));
    }

    [Fact]
    public async Task a_service_token_with_audit_read_sees_only_its_own_service_and_the_organisation_sees_all()
    {
        var host = await StartAsync();
        var admin = host.CreateAdminClient();
        var mine = await admin.CreateServiceAsync();
        var theirs = await admin.CreateServiceAsync();
        var (myClient, _) = await admin.CreateClientAsync(mine);
        var (theirClient, _) = await admin.CreateClientAsync(theirs);
        await admin.UpdateSecretAsync(mine, myClient, TestApi.NewSecret());
        await admin.UpdateSecretAsync(theirs, theirClient, TestApi.NewSecret());
        var (_, auditor) = await admin.CreateApiTokenAsync(mine, Permissions.AuditRead);
        var (_, reader) = await admin.CreateApiTokenAsync(mine, Permissions.ClientRead);
        var auditorClient = host.CreateClient(auditor);

        var (own, ownTotal) = await AuditAsync(auditorClient, $"/api/{mine}/audit/get/list?end=100");
        Assert.Equal(5, ownTotal); // service create, client create, secret update, the two tokens
        Assert.All(own, e => Assert.Equal(mine, Long(e, "serviceId")));

        var (status, body) = await auditorClient.GetForJsonAsync($"/api/{theirs}/audit/get/list");
        Assert.Equal(("A000204", HttpStatusCode.Forbidden), (Sec.Code(body), status));
        Assert.DoesNotContain(theirClient.ToString(System.Globalization.CultureInfo.InvariantCulture), body.ToJsonString(), StringComparison.Ordinal);
        (status, body) = await auditorClient.GetForJsonAsync("/api/audit/get/list");
        Assert.Equal(("A000203", HttpStatusCode.Forbidden), (Sec.Code(body), status));
        (status, body) = await host.CreateClient(reader).GetForJsonAsync($"/api/{mine}/audit/get/list");
        Assert.Equal(("A000203", HttpStatusCode.Forbidden), (Sec.Code(body), status));

        var (everything, _) = await AuditAsync(admin, "/api/audit/get/list?end=100");
        Assert.Contains(everything, e => Long(e, "clientId") == myClient);
        Assert.Contains(everything, e => Long(e, "clientId") == theirClient);
        var (onlyTheirs, _) = await AuditAsync(admin, $"/api/audit/get/list?serviceId={theirs}&end=100");
        Assert.NotEmpty(onlyTheirs);
        Assert.All(onlyTheirs, e => Assert.Equal(theirs, Long(e, "serviceId")));
    }
}

public sealed class SqliteAuditTrailTests : AuditTrailSuite
{
    protected override StoreAccess Access { get; } = new SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresAuditTrailTests : AuditTrailSuite
{
    protected override StoreAccess Access { get; } = new PostgresStoreAccess();
}
