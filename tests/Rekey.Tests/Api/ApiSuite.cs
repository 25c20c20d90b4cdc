using System.Net;
using Rekey.Testing;

namespace Rekey.Tests.Api;

/// <summary>
/// The end-to-end suite: every test drives the real server over HTTP. It runs unchanged against each store; a
/// subclass per store supplies the fixture.
/// </summary>
public abstract partial class ApiSuite(ServerFixture fixture)
{
    protected RekeyHost Host => fixture.Host;

    protected HttpClient Admin { get; } = fixture.Host.CreateAdminClient();

    [Fact]
    public async Task update_with_json_body_returns_new_and_old_secret_and_stores_the_new_one()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId);

        var (status, body) = await Admin.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{client.ClientId}", Testing.Api.Json("""{"clientSecret":"my_new-Secret1"}"""));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("A149001", body["resultCode"]!.GetValue<string>());
        Assert.Equal($"[A149001] Successfully updated the client secret of the client (ID = {client.ClientId}).", body["resultMessage"]!.GetValue<string>());
        Assert.Equal("my_new-Secret1", body["newClientSecret"]!.GetValue<string>());
        Assert.Equal(client.ClientSecret, body["oldClientSecret"]!.GetValue<string>());
        Assert.Equal("my_new-Secret1", await Admin.CurrentSecretAsync(serviceId, client.ClientId!.Value));
    }
}

public sealed class SqliteApiTests(SqliteServerFixture fixture) : ApiSuite(fixture), IClassFixture<SqliteServerFixture>;

[RequiresPostgres]
public sealed class PostgresApiTests(PostgresServerFixture fixture) : ApiSuite(fixture), IClassFixture<PostgresServerFixture>;
