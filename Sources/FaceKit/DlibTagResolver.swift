/// Recovers tag numbers for the bare framings and `add_prev_` records of a dlib network file.
///
/// dlib's tag, skip and add_prev IDs are template parameters that never reach the file; the rules
/// (documented on `DlibNetwork`) follow dlib's residual idioms and are checked later by shape inference.
enum DlibTagResolver {
    static func resolve(_ nodes: [DlibNetworkReader.Node]) throws(ModelLoadError) -> [DlibLayer] {
        var layers: [DlibLayer] = []
        layers.reserveCapacity(nodes.count)
        var openTags: [Int] = []
        var previousOpenedTag = false
        for (index, node) in nodes.enumerated() {
            switch node {
            case .layer(let layer, _):
                layers.append(layer)
                previousOpenedTag = false
            case .bare(let offset):
                if previousOpenedTag {
                    guard openTags.count >= 2 else {
                        throw ModelLoadError(.malformed, offset: offset, layerIndex: index, tag: "add_skip_layer",
                                             detail: "a skip right after a tag, but no earlier tag to skip back to")
                    }
                    let target = openTags.remove(at: openTags.count - 2)
                    layers.append(.skip(target))
                    previousOpenedTag = false
                } else {
                    var id = 1
                    while openTags.contains(id) { id += 1 }
                    openTags.append(id)
                    layers.append(.tag(id))
                    previousOpenedTag = true
                }
            case .addPrev(let offset):
                guard let id = openTags.popLast() else {
                    throw ModelLoadError(.malformed, offset: offset, layerIndex: index, tag: "add_prev_",
                                         detail: "add_prev with no tag before it")
                }
                layers.append(.addPrev(tag: id))
                previousOpenedTag = false
            }
        }
        return layers
    }
}
