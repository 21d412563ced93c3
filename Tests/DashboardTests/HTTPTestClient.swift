import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A reply as the tests look at it: status, headers (lower-case names), body.
struct HTTPReply {
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> Any { try JSONSerialization.jsonObject(with: body) }
}

/// A real HTTP client over loopback (URLSession), for the server started by the test. It
/// never follows redirects and never stores cookies, so the tests see exactly what the
/// server sends.
final class HTTPTestClient: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let base: String
    private var session: URLSession!
    private let lock = NSLock()
    private var streams: [Int: Data] = [:]

    init(base: String) {
        self.base = base
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = 30
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }

    func request(_ path: String, method: String = "GET", headers: [String: String] = [:]) throws -> HTTPReply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var reply: Result<HTTPReply, any Error> = .failure(URLError(.timedOut))
        session.dataTask(with: request) { data, response, error in
            if let error { reply = .failure(error) } else if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (k, v) in http.allHeaderFields { fields["\(k)".lowercased()] = "\(v)" }
                reply = .success(HTTPReply(status: http.statusCode, headers: fields, body: data ?? Data()))
            }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 60) == .success else { throw URLError(.timedOut) }
        return try reply.get()
    }

    /// Opens an endless response (server-sent events); `received(id)` shows what came so far.
    func openStream(_ path: String) -> URLSessionDataTask {
        let task = session.dataTask(with: URLRequest(url: URL(string: base + path)!))
        lock.lock(); streams[task.taskIdentifier] = Data(); lock.unlock()
        task.resume()
        return task
    }

    func received(_ task: URLSessionDataTask) -> String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: streams[task.taskIdentifier] ?? Data(), as: UTF8.self)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock(); streams[dataTask.taskIdentifier, default: Data()].append(data); lock.unlock()
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
