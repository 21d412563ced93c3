/// The shape of a C-order 3D array `[nz, ny, nx]`: x is the fastest axis, z the slowest.
///
/// Points handed out by the BCDI kernels are `[x, y, z]` (INTERFACE.md), so `index(x:y:z:)`
/// takes them in that order to make mix-ups visible at the call site.
public struct BCDIShape: Hashable, Sendable, CustomStringConvertible {
    public var nz: Int
    public var ny: Int
    public var nx: Int

    public init(nz: Int, ny: Int, nx: Int) {
        precondition(nz >= 0 && ny >= 0 && nx >= 0, "negative dimension in \(nz)×\(ny)×\(nx)")
        self.nz = nz
        self.ny = ny
        self.nx = nx
    }

    /// Number of voxels.
    public var count: Int { nz * ny * nx }
    /// Voxels per z-plane.
    public var planeCount: Int { ny * nx }

    /// Linear C-order index of voxel (x, y, z).
    @inline(__always)
    public func index(x: Int, y: Int, z: Int) -> Int { (z * ny + y) * nx + x }

    /// True when (x, y, z) lies inside the array.
    @inline(__always)
    public func contains(x: Int, y: Int, z: Int) -> Bool {
        x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz
    }

    /// `[x, y, z]` of a linear index.
    @inline(__always)
    public func coordinates(of index: Int) -> (x: Int, y: Int, z: Int) {
        let x = index % nx
        let r = index / nx
        return (x, r % ny, r / ny)
    }

    public var description: String { "\(nz)×\(ny)×\(nx)" }
}
