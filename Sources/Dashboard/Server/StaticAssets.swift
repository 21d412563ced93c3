import Hummingbird

/// The pages, scripts, styles and the OpenAPI document, compiled into the binary
/// (`embedInCode`): nothing is fetched from elsewhere, and a copied `ctl` serves its pages.
struct StaticAssets {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    static let scripts: [String: Asset] = [
        "app.js": Asset(bytes: PackageResources.app_js, contentType: "text/javascript; charset=utf-8"),
        "plots.js": Asset(bytes: PackageResources.plots_js, contentType: "text/javascript; charset=utf-8"),
        "view3d.js": Asset(bytes: PackageResources.view3d_js, contentType: "text/javascript; charset=utf-8"),
        "app.css": Asset(bytes: PackageResources.app_css, contentType: "text/css; charset=utf-8"),
    ]
    static let page = Asset(bytes: PackageResources.page_html, contentType: "text/html; charset=utf-8")
    static let openAPI = Asset(bytes: PackageResources.openapi_json, contentType: "application/json; charset=utf-8")

    func register(on router: Router<DashboardContext>) {
        // One page shell; the script picks the view from the address.
        for path in ["/", "/workers", "/jobs/:id"] {
            router.get(RouterPath(stringLiteral: path)) { _, _ in Self.response(Self.page, cache: "no-cache") }
        }
        router.get("/static/:file") { _, context -> Response in
            let name = try context.parameters.require("file")
            guard let asset = Self.scripts[name] else { throw DashboardHTTPError.notFound("/static/\(name)") }
            return Self.response(asset, cache: "no-cache")
        }
        router.get("/openapi.json") { _, _ in Self.response(Self.openAPI, cache: "no-cache") }
    }

    static func response(_ asset: Asset, cache: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: asset.contentType, .cacheControl: cache],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
