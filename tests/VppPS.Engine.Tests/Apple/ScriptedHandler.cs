using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace VppPS.Engine.Tests.Apple;

/// <summary>
/// A fake Apple: answers each path from a script (in order; the last answer repeats) and
/// records every request. service/config has a default answer with Apple's example limits.
/// </summary>
internal sealed class ScriptedHandler : HttpMessageHandler
{
    public const string Base = "https://apple.test/mdm/v2";

    private readonly ConcurrentDictionary<string, Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>>> _routes = new();
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private int _inFlight;

    public ScriptedHandler()
    {
        On("service/config", _ => Json(200, ServiceConfigJson));
    }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public int MaxInFlight { get; private set; }

    public static string ServiceConfigJson { get; } = AppleSamples.ServiceConfig.Replace("https://vpp.itunes.apple.com/mdm/v2", Base);

    /// <summary>Answers the path (relative to the base, without query) with these answers in turn.</summary>
    public ScriptedHandler On(string path, params Func<RecordedRequest, HttpResponseMessage>[] answers)
    {
        _routes[path] = (request, _) =>
        {
            var n = _calls.AddOrUpdate(path, 0, (_, v) => v + 1);
            return Task.FromResult(answers[Math.Min(n, answers.Length - 1)](request));
        };
        return this;
    }

    public ScriptedHandler OnAsync(string path, Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>> answer)
    {
        _routes[path] = answer;
        return this;
    }

    public int Count(string path) => Requests.Count(r => r.Path == path);

    public static HttpResponseMessage Json(int status, string json, Action<HttpResponseMessage>? adjust = null)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        adjust?.Invoke(response);
        return response;
    }

    public static HttpResponseMessage Error(int status, int errorNumber, string message = "message from Apple") =>
        Json(status, $$"""{"errorNumber":{{errorNumber}},"errorMessage":"{{message}}"}""");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath.Replace("/mdm/v2/", "").TrimStart('/');
        var recorded = new RecordedRequest(
            request.Method.Method, path, request.RequestUri.Query, request.RequestUri.AbsoluteUri,
            request.Headers.TryGetValues("Authorization", out var auth) ? auth.Single() : null,
            request.Headers.TryGetValues("Cookie", out var cookie) ? string.Join("; ", cookie) : null,
            request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken));
        Requests.Enqueue(recorded);
        var inFlight = Interlocked.Increment(ref _inFlight);
        lock (_routes) MaxInFlight = Math.Max(MaxInFlight, inFlight);
        try
        {
            if (!_routes.TryGetValue(path, out var route))
                return Json(404, "{}");
            // Let parallel requests overlap, as on a real network.
            await Task.Yield();
            return await route(recorded, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

internal sealed record RecordedRequest(string Method, string Path, string Query, string Url, string? Authorization, string? Cookie, string? Body)
{
    public string? QueryValue(string name) =>
        Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => Uri.UnescapeDataString(p[0]) == name)
            .Select(p => Uri.UnescapeDataString(p[1]))
            .FirstOrDefault();
}
