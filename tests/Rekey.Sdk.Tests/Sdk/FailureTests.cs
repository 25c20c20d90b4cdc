using System.Net;
using System.Text;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>How the SDK reports what is not an ordinary server answer, and when it throws.</summary>
public sealed class FailureTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task a_wrong_token_is_a_401_error()
    {
        var wrong = Connect("not-the-token");

        var result = await wrong.ListServicesAsync();

        Assert.False(result.IsSuccess);
        Assert.Equal(401, result.Error.HttpStatus);
        Assert.Equal(ResultCodes.UnknownAccessToken.Code, result.Error.ResultCode);
        Assert.True(result.Error.IsCallerError);
        Assert.Equal(RekeyErrorKind.Refused, result.Error.Kind);
    }

    [Fact]
    public async Task no_token_is_a_401_error()
    {
        var anonymous = Connect(token: null);

        var result = await anonymous.ListServicesAsync();

        Assert.Equal(401, result.Error?.HttpStatus);
        Assert.Equal(ResultCodes.MissingAccessToken.Code, result.Error?.ResultCode);
    }

    [Fact]
    public async Task connection_refused_is_a_network_error_not_an_exception()
    {
        var closed = new Uri($"http://127.0.0.1:{Ports.Unused()}/");
        var nowhere = Connect(RekeyHost.AdminToken, baseAddress: closed);

        var result = await nowhere.GetServiceAsync(1);
        var deleted = await nowhere.DeleteServiceAsync(1);

        Assert.False(result.IsSuccess);
        Assert.Equal(0, result.Error.HttpStatus);
        Assert.Equal(RekeyErrorCodes.Network, result.Error.ResultCode);
        Assert.Contains(closed.Authority, result.Error.ResultMessage, StringComparison.Ordinal);
        Assert.Null(result.Error.RawBody);
        Assert.False(result.Error.IsCallerError);
        Assert.Equal(RekeyErrorKind.Network, result.Error.Kind);
        Assert.Equal(RekeyErrorCodes.Network, deleted.Error?.ResultCode);
    }

    [Fact]
    public async Task a_timeout_of_the_http_client_is_a_timeout_error_not_an_exception()
    {
        var slow = Connect(RekeyHost.AdminToken, new StallingHandler(), timeout: TimeSpan.FromMilliseconds(200));

        var result = await slow.ListServicesAsync();

        Assert.Equal(0, result.Error?.HttpStatus);
        Assert.Equal(RekeyErrorCodes.Timeout, result.Error?.ResultCode);
        Assert.Equal(RekeyErrorKind.Timeout, result.Error?.Kind);
    }

    [Fact]
    public async Task cancelling_the_callers_token_throws_OperationCanceledException()
    {
        var stalling = new StallingHandler();
        var slow = Connect(RekeyHost.AdminToken, stalling);
        using var cts = new CancellationTokenSource();

        var call = slow.RefreshClientSecretAsync(1, "1", cts.Token);
        await stalling.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task an_already_cancelled_token_throws_before_anything_is_sent()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var before = Counter.Count;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rekey.GetServiceAsync(serviceId, new CancellationToken(canceled: true)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Rekey.UpdateClientSecretAsync(serviceId, "1", new ClientSecretUpdateRequest { ClientSecret = "ok" }, new CancellationToken(canceled: true)));
        Assert.Equal(before, Counter.Count);
    }

    [Fact]
    public async Task an_error_status_without_a_rekey_body_is_an_invalid_response_error_with_the_status_and_body()
    {
        // A proxy in front of Rekey answering with its own page, not {resultCode, resultMessage}.
        var proxied = Connect(RekeyHost.AdminToken, new StubHandler(HttpStatusCode.BadGateway, "<html><body>502 Bad Gateway</body></html>"));

        var result = await proxied.ListServicesAsync();

        Assert.Equal(502, result.Error?.HttpStatus);
        Assert.Equal(RekeyErrorCodes.InvalidResponse, result.Error?.ResultCode);
        Assert.Contains("Bad Gateway", result.Error?.RawBody, StringComparison.Ordinal);
        Assert.Equal(RekeyErrorKind.InvalidResponse, result.Error?.Kind);
    }

    [Fact]
    public async Task a_4xx_answer_that_is_not_rekeys_is_an_invalid_response_not_a_refusal()
    {
        var proxied = Connect(RekeyHost.AdminToken, new StubHandler(HttpStatusCode.NotFound, "<html><body>404 Not Found</body></html>"));

        var result = await proxied.GetClientAsync(1, "billing");

        Assert.Equal(404, result.Error?.HttpStatus);
        Assert.Equal(RekeyErrorKind.InvalidResponse, result.Error?.Kind);
        Assert.True(result.Error?.IsCallerError, "IsCallerError looks at the status only, as before");
    }

    [Fact]
    public async Task a_path_the_server_does_not_serve_is_a_404_with_a_result_code()
    {
        var wrongPrefix = Connect(RekeyHost.AdminToken, baseAddress: new Uri(Host.BaseAddress, "not-rekey/"));

        var result = await wrongPrefix.ListServicesAsync();

        Assert.Equal(404, result.Error?.HttpStatus);
        Assert.Equal("A000217", result.Error?.ResultCode);
        Assert.Equal(RekeyErrorKind.Refused, result.Error?.Kind);
    }

    [Fact]
    public async Task a_success_status_with_a_malformed_body_is_an_invalid_response_error()
    {
        var garbled = Connect(RekeyHost.AdminToken, new StubHandler(HttpStatusCode.OK, "{\"resultCode\": "));

        var result = await garbled.RefreshClientSecretAsync(1, "1");

        Assert.Equal(200, result.Error?.HttpStatus);
        Assert.Equal(RekeyErrorCodes.InvalidResponse, result.Error?.ResultCode);
        Assert.Equal("{\"resultCode\": ", result.Error?.RawBody);
        Assert.Equal(RekeyErrorKind.InvalidResponse, result.Error?.Kind);
    }

    [Fact]
    public async Task a_success_status_missing_required_properties_is_an_invalid_response_error()
    {
        var partial = Connect(RekeyHost.AdminToken, new StubHandler(HttpStatusCode.OK, "{\"newClientSecret\":\"abc\"}"));

        var result = await partial.RefreshClientSecretAsync(1, "1");

        Assert.Equal(RekeyErrorCodes.InvalidResponse, result.Error?.ResultCode);
        Assert.DoesNotContain("abc", result.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("abc", result.Error?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_5xx_answer_keeps_the_servers_code()
    {
        var failing = Connect(RekeyHost.AdminToken, new StubHandler(HttpStatusCode.ServiceUnavailable,
            """{"resultCode":"A000102","resultMessage":"[A000102] The store is unavailable; nothing was changed. Retry later."}"""));

        var result = await failing.DeleteClientAsync(1, "1");

        Assert.Equal(503, result.Error?.HttpStatus);
        Assert.Equal(ResultCodes.StoreUnavailable.Code, result.Error?.ResultCode);
        Assert.False(result.Error?.IsCallerError);
        Assert.Equal(RekeyErrorKind.Unavailable, result.Error?.Kind);
    }

    [Fact]
    public async Task a_503_A000104_is_its_own_kind_the_outcome_is_unknown()
    {
        // What the server answers when the database connection drops during COMMIT (its own tests provoke that).
        var message = ResultCodes.StoreOutcomeUnknown.Format("0HNAB12CD34EF:00000001");
        var failing = Connect(RekeyHost.AdminToken, new StubHandler(HttpStatusCode.ServiceUnavailable,
            $$"""{"resultCode":"A000104","resultMessage":"{{message}}"}"""));

        var result = await failing.RefreshClientSecretAsync(1, "billing");

        Assert.Equal(503, result.Error?.HttpStatus);
        Assert.Equal(ResultCodes.StoreOutcomeUnknown.Code, result.Error?.ResultCode);
        Assert.Equal(message, result.Error?.ResultMessage);
        Assert.Equal(RekeyErrorKind.OutcomeUnknown, result.Error?.Kind);
        Assert.False(result.Error?.IsCallerError);
    }

    [Theory]
    [InlineData(503, "A000102", RekeyErrorKind.Unavailable)]
    [InlineData(503, "A000105", RekeyErrorKind.Unavailable)]
    [InlineData(503, "A000104", RekeyErrorKind.OutcomeUnknown)]
    [InlineData(500, "A000101", RekeyErrorKind.ServerError)]
    [InlineData(500, "A000103", RekeyErrorKind.ServerError)]
    [InlineData(409, "A180201", RekeyErrorKind.Refused)]
    public async Task the_kind_of_a_rekey_answer_follows_its_status_and_result_code(int status, string code, RekeyErrorKind kind)
    {
        var answering = Connect(RekeyHost.AdminToken, new StubHandler((HttpStatusCode)status,
            $$"""{"resultCode":"{{code}}","resultMessage":"[{{code}}] …"}"""));

        var result = await answering.DeleteClientAsync(1, "1");

        Assert.Equal(kind, result.Error?.Kind);
    }

    [Fact]
    public void options_without_a_usable_base_address_or_with_a_bad_token_are_programming_errors()
    {
        using var http = new HttpClient();
        Assert.Throws<ArgumentException>(() => new RekeyClient(http, new RekeyClientOptions()));
        Assert.Throws<ArgumentException>(() => new RekeyClient(http, new RekeyClientOptions { BaseAddress = new Uri("ftp://example.com/") }));
        Assert.Throws<ArgumentException>(() => new RekeyClient(http, new RekeyClientOptions { BaseAddress = new Uri("http://x/"), Token = "two words" }));
        Assert.Throws<ArgumentException>(() => new RekeyClient(http, new RekeyClientOptions { BaseAddress = new Uri("http://x/"), Token = "line\nbreak" }));
        Assert.Throws<ArgumentNullException>(() => new RekeyClient(null!, new RekeyClientOptions()));
    }

    [Fact]
    public async Task a_base_address_with_a_path_prefix_keeps_the_prefix()
    {
        var recorder = new StubHandler(HttpStatusCode.OK, """{"start":0,"end":5,"totalCount":0,"services":[]}""");
        using var http = new HttpClient(recorder);
        var client = new RekeyClient(http, new RekeyClientOptions { BaseAddress = new Uri("http://gateway.example/rekey"), Token = "t" });

        var result = await client.ListServicesAsync(start: 0, end: 5);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal("http://gateway.example/rekey/api/service/get/list?start=0&end=5", recorder.LastUri?.AbsoluteUri);
        Assert.Equal("Bearer t", recorder.LastAuthorization);
    }

    /// <summary>Never answers; tells when a request arrived.</summary>
    private sealed class StallingHandler : HttpMessageHandler
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>Answers every request with a fixed status and body: for answers the real server never gives.</summary>
    private sealed class StubHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public Uri? LastUri { get; private set; }

        public string? LastAuthorization { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastUri = request.RequestUri;
            LastAuthorization = request.Headers.Authorization?.ToString();
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
