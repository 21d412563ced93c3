/// 26-connected components of a set of voxels.
public enum BCDIComponents {
    /// The components of the voxels where `member` is true, each as sorted linear indices,
    /// in order of their smallest index.
    public static func label(shape: BCDIShape, member: (Int) -> Bool) -> [[Int]] {
        var seen = [Bool](repeating: false, count: shape.count)
        var out: [[Int]] = []
        var stack: [Int] = []
        for start in 0..<shape.count where !seen[start] && member(start) {
            seen[start] = true
            stack.append(start)
            var comp: [Int] = []
            while let i = stack.popLast() {
                comp.append(i)
                let (x, y, z) = shape.coordinates(of: i)
                for zz in max(0, z - 1)...min(shape.nz - 1, z + 1) {
                    for yy in max(0, y - 1)...min(shape.ny - 1, y + 1) {
                        for xx in max(0, x - 1)...min(shape.nx - 1, x + 1) {
                            let j = shape.index(x: xx, y: yy, z: zz)
                            if !seen[j] && member(j) {
                                seen[j] = true
                                stack.append(j)
                            }
                        }
                    }
                }
            }
            out.append(comp.sorted())
        }
        return out
    }
}
