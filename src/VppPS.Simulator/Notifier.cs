using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace VppPS.Simulator;

/// <summary>Delivers Apple-shaped notifications: POST with the location's bearer token, up to 3 tries.</summary>
internal sealed class Notifier : IAsyncDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<Task, byte> _inflight = new();
    private readonly int _retryDelayMs;
    public readonly List<SimNotificationRecord> Log = new();

    public Notifier(int retryDelayMs) => _retryDelayMs = Math.Max(0, retryDelayMs);

    public static byte[] Envelope(string uId, string type, string notificationId, Action<Utf8JsonWriter> payload)
    {
        var buf = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buf, AppleApi.WriterOptions))
        {
            w.WriteStartObject();
            w.WritePropertyName("notification");
            w.WriteStartObject();
            payload(w);
            w.WriteEndObject();
            w.WriteString("notificationId", notificationId);
            w.WriteString("notificationType", type);
            w.WriteString("uId", uId);
            w.WriteEndObject();
        }
        return buf.WrittenSpan.ToArray();
    }

    /// <summary>Queues a notification when the location has a URL and subscribed to the type. Call under the location lock.</summary>
    public void Enqueue(SimLocation loc, string type, Action<Utf8JsonWriter> payload)
    {
        if (loc.NotificationUrl is null || loc.NotificationAuthToken is null) return;
        if (!loc.SubscribedTypes.Contains(type)) return;
        var body = Envelope(loc.UId, type, Guid.NewGuid().ToString(), payload);
        var rec = NewRecord(loc.UId, type, loc.NotificationUrl, body);
        var url = loc.NotificationUrl; var auth = loc.NotificationAuthToken;
        var t = Task.Run(() => DeliverAsync(rec, url, auth, body));
        _inflight[t] = 0;
        t.ContinueWith(x => _inflight.TryRemove(x, out _), TaskScheduler.Default);
    }

    public SimNotificationRecord NewRecord(string uId, string type, string url, byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var rec = new SimNotificationRecord
        {
            LocationUId = uId, NotificationType = type, Url = url, Body = Encoding.UTF8.GetString(body),
            NotificationId = doc.RootElement.GetProperty("notificationId").GetString()!,
        };
        lock (Log) Log.Add(rec);
        return rec;
    }

    /// <summary>Up to 3 attempts; any 2xx is delivered.</summary>
    public async Task<bool> DeliverAsync(SimNotificationRecord rec, string url, string authToken, byte[] body)
    {
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            if (_cts.IsCancellationRequested) return false;
            try
            {
                using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", authToken);
                using var resp = await _http.SendAsync(req, _cts.Token).ConfigureAwait(false);
                lock (rec) { rec.Attempts = attempt; rec.LastStatus = (int)resp.StatusCode; }
                if (resp.IsSuccessStatusCode) { lock (rec) rec.Delivered = true; return true; }
            }
            catch (Exception) when (!_cts.IsCancellationRequested)
            {
                lock (rec) { rec.Attempts = attempt; rec.LastStatus = null; }
            }
            catch (Exception) { return false; }
            if (attempt < 3)
            {
                try { await Task.Delay(_retryDelayMs, _cts.Token).ConfigureAwait(false); } catch { return false; }
            }
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        try { await Task.WhenAll(_inflight.Keys.ToArray()).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch { }
        _http.Dispose();
        _cts.Dispose();
    }
}
