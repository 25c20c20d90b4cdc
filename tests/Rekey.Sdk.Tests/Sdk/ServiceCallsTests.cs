using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

public sealed class ServiceCallsTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task create_returns_the_service_with_its_id_and_get_reads_it_back()
    {
        var created = await Rekey.CreateServiceAsync(new ServiceDocument { ServiceName = "Payments", Issuer = "https://auth.example.com" });

        Assert.True(created.IsSuccess, created.ToString());
        Assert.Equal(200, created.HttpStatus);
        Assert.NotNull(created.Value.ApiKey);
        Assert.Equal("Payments", created.Value.ServiceName);

        var got = await Rekey.GetServiceAsync(created.Value.ApiKey.Value);
        Assert.True(got.IsSuccess, got.ToString());
        Assert.Equal("https://auth.example.com", got.Value.Issuer);
    }

    [Fact]
    public async Task create_with_an_invalid_issuer_is_a_400_error_with_the_servers_code()
    {
        var created = await Rekey.CreateServiceAsync(new ServiceDocument { ServiceName = "x", Issuer = "not a url" });

        Assert.False(created.IsSuccess);
        Assert.Null(created.Value);
        Assert.Equal(400, created.Error.HttpStatus);
        Assert.Equal(ResultCodes.InvalidIssuer.Code, created.Error.ResultCode);
        Assert.StartsWith("[A110202]", created.Error.ResultMessage, StringComparison.Ordinal);
        Assert.Contains("A110202", created.Error.RawBody, StringComparison.Ordinal);
        Assert.False(created.Error.IsLocal);
    }

    [Fact]
    public async Task get_of_an_unknown_service_is_a_404_error()
    {
        var got = await Rekey.GetServiceAsync(999_999_999_999);

        Assert.False(got.IsSuccess);
        Assert.Equal(404, got.Error.HttpStatus);
        Assert.Equal(404, got.HttpStatus);
        Assert.Equal(ResultCodes.ServiceNotFound.Code, got.Error.ResultCode);
    }

    [Fact]
    public async Task list_pages_with_start_and_end()
    {
        await Admin.CreateServiceAsync("""{"serviceName":"list one"}""");
        await Admin.CreateServiceAsync("""{"serviceName":"list two"}""");

        var page = await Rekey.ListServicesAsync(start: 0, end: 1);

        Assert.True(page.IsSuccess, page.ToString());
        Assert.Equal(0, page.Value.Start);
        Assert.Equal(1, page.Value.End);
        Assert.Single(page.Value.Services);
        Assert.True(page.Value.TotalCount >= 2);
    }

    [Fact]
    public async Task list_with_a_negative_index_is_a_programming_error()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Rekey.ListServicesAsync(start: -1));
        Assert.Equal(0, Counter.Count);
    }

    [Fact]
    public async Task update_replaces_the_document()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"before"}""");

        var updated = await Rekey.UpdateServiceAsync(serviceId, new ServiceDocument { ServiceName = "after" });

        Assert.True(updated.IsSuccess, updated.ToString());
        Assert.Equal("after", updated.Value.ServiceName);
        Assert.Equal(serviceId, updated.Value.ApiKey);
        Assert.Equal("after", (await Rekey.GetServiceAsync(serviceId)).Value?.ServiceName);
    }

    [Fact]
    public async Task update_of_an_unknown_service_is_a_404_error()
    {
        var updated = await Rekey.UpdateServiceAsync(999_999_999_998, new ServiceDocument { ServiceName = "x" });

        Assert.Equal(404, updated.Error?.HttpStatus);
        Assert.Equal(ResultCodes.ServiceNotFound.Code, updated.Error?.ResultCode);
    }

    [Fact]
    public async Task delete_succeeds_with_204_and_a_second_delete_is_a_404_error()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var deleted = await Rekey.DeleteServiceAsync(serviceId);
        Assert.True(deleted.IsSuccess, deleted.ToString());
        Assert.Equal(204, deleted.HttpStatus);
        Assert.True(deleted.Body.IsEmpty);

        var again = await Rekey.DeleteServiceAsync(serviceId);
        Assert.False(again.IsSuccess);
        Assert.Equal(404, again.Error.HttpStatus);
        Assert.Equal(ResultCodes.ServiceNotFound.Code, again.Error.ResultCode);
    }
}
