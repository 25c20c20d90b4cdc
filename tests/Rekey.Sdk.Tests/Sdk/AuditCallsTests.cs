using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

public sealed class AuditCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task service_audit_lists_a_clients_changes_newest_first_and_filters_by_action()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var other = await Admin.CreateClientAsync(serviceId, """{"clientName":"other"}""");
        await Rekey.RefreshClientSecretAsync(serviceId, client.Id);
        await Rekey.UpdateClientLockFlagAsync(serviceId, client.Id, new ClientFlagUpdateRequest { ClientLocked = true });

        var trail = await Rekey.ListAuditEventsAsync(serviceId, client.ClientId);

        Assert.True(trail.IsSuccess, trail.ToString());
        Assert.Equal(3, trail.Value.TotalCount);
        Assert.Equal(new[] { AuditActions.ClientLock, AuditActions.SecretRefresh, AuditActions.ClientCreate }, trail.Value.Events.Select(e => e.Action));
        Assert.All(trail.Value.Events, e =>
        {
            Assert.Equal("success", e.Outcome);
            Assert.Equal("organisation", e.ActorKind);
            Assert.Null(e.ActorTokenId);
            Assert.Equal(serviceId, e.ServiceId);
            Assert.Equal(client.ClientId, e.ClientId);
        });
        Assert.True(trail.Value.Events[0].EventId > trail.Value.Events[1].EventId);

        var refreshes = await Rekey.ListAuditEventsAsync(serviceId, action: AuditActions.SecretRefresh);
        Assert.Equal(client.ClientId, Assert.Single(refreshes.Value?.Events ?? []).ClientId);

        var all = await Rekey.ListAuditEventsAsync(serviceId, start: 0, end: 1000);
        Assert.Contains(all.Value?.Events ?? [], e => e.ClientId == other.ClientId && e.Action == AuditActions.ClientCreate);
        var page = await Rekey.ListAuditEventsAsync(serviceId, start: 1, end: 2);
        Assert.Equal(1, page.Value?.Start);
        Assert.Equal(2, page.Value?.End);
        Assert.Equal(all.Value?.Events[1].EventId, Assert.Single(page.Value?.Events ?? []).EventId);
    }

    [Fact]
    public async Task an_unknown_action_is_A170201()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var service = await Rekey.ListAuditEventsAsync(serviceId, action: "client.secret.steal");
        var organisation = await Rekey.ListOrganisationAuditEventsAsync(action: "client.secret.steal");

        Assert.Equal(400, service.Error?.HttpStatus);
        Assert.Equal(ResultCodes.InvalidAuditAction.Code, service.Error?.ResultCode);
        Assert.Equal(ResultCodes.InvalidAuditAction.Format(string.Join(", ", AuditActions.All)), service.Error?.ResultMessage);
        Assert.Equal(ResultCodes.InvalidAuditAction.Code, organisation.Error?.ResultCode);
    }

    [Fact]
    public async Task the_organisation_list_spans_services_and_filters_by_service()
    {
        var first = await Admin.CreateServiceAsync("""{"serviceName":"first"}""");
        var second = await Admin.CreateServiceAsync("""{"serviceName":"second"}""");
        var client = await Admin.CreateClientAsync(first);
        await Admin.CreateClientAsync(second);

        var everything = await Rekey.ListOrganisationAuditEventsAsync(action: AuditActions.ClientCreate, end: 1000);
        var onlyFirst = await Rekey.ListOrganisationAuditEventsAsync(serviceId: first, action: AuditActions.ClientCreate);
        var byClient = await Rekey.ListOrganisationAuditEventsAsync(clientId: client.ClientId);

        Assert.True(everything.IsSuccess, everything.ToString());
        Assert.Contains(everything.Value.Events, e => e.ServiceId == first);
        Assert.Contains(everything.Value.Events, e => e.ServiceId == second);
        Assert.Equal(first, Assert.Single(onlyFirst.Value?.Events ?? []).ServiceId);
        Assert.Equal(AuditActions.ClientCreate, Assert.Single(byClient.Value?.Events ?? []).Action);
    }

    [Fact]
    public async Task a_service_token_reads_its_own_trail_with_audit_read_only_and_never_the_organisations()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);
        var auditor = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [Permissions.AuditRead] });
        var reader = await Rekey.CreateApiTokenAsync(new ApiTokenCreateRequest { ServiceId = serviceId, Permissions = [Permissions.ClientRead] });
        var withAudit = Connect(auditor.Value?.Token);
        var withoutAudit = Connect(reader.Value?.Token);

        var own = await withAudit.ListAuditEventsAsync(serviceId, client.ClientId);
        var organisation = await withAudit.ListOrganisationAuditEventsAsync();
        var elsewhere = await withAudit.ListAuditEventsAsync(await Admin.CreateServiceAsync("""{"serviceName":"elsewhere"}"""));
        var denied = await withoutAudit.ListAuditEventsAsync(serviceId);

        Assert.True(own.IsSuccess, own.ToString());
        Assert.Equal(AuditActions.ClientCreate, Assert.Single(own.Value.Events).Action);
        Assert.Equal(403, organisation.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Format(Permissions.Admin), organisation.Error?.ResultMessage);
        Assert.Equal(403, elsewhere.Error?.HttpStatus);
        Assert.Equal(ResultCodes.WrongService.Code, elsewhere.Error?.ResultCode);
        Assert.Equal(403, denied.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Format(Permissions.AuditRead), denied.Error?.ResultMessage);

        // The token's own calls are attributed to it, by ID.
        await withoutAudit.RefreshClientSecretAsync(serviceId, client.Id);
        var attempt = await Rekey.ListAuditEventsAsync(serviceId, client.ClientId, AuditActions.SecretRefresh);
        var refused = Assert.Single(attempt.Value?.Events ?? []);
        Assert.Equal("service", refused.ActorKind);
        Assert.Equal(reader.Value?.TokenId, refused.ActorTokenId);
        Assert.Equal(ResultCodes.PermissionDenied.Code, refused.Outcome);
    }

    [Fact]
    public async Task a_negative_paging_index_is_a_programming_error_and_sends_nothing()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Rekey.ListAuditEventsAsync(1, start: -1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Rekey.ListOrganisationAuditEventsAsync(end: -1));
        Assert.Equal(0, Counter.Count);
    }
}
