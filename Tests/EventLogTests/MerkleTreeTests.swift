import EventLog
import Foundation
import SightlineCore
import Testing

/// RFC 6962 hashing and proofs against transparency-dev/merkle's reference data.
@Suite struct MerkleTreeTests {
    // transparency-dev/merkle testonly/constants.go: LeafInputs and RootHashes.
    static let leaves = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ].map(hex)
    static let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(hex)

    @Test func hashesMatchRFC6962() {
        #expect(
            MerkleTree.leafHash(Array("L123456".utf8))
                == hex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"))
        #expect(
            MerkleTree.nodeHash(Array("N123".utf8), Array("N456".utf8))
                == hex("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"))
    }

    @Test func rootsAndFrontierMatchReference() {
        let hashes = Self.leaves.map(MerkleTree.leafHash)
        var frontier = MerkleFrontier()
        for n in 0...8 {
            #expect(MerkleTree.root(Array(hashes[0..<n])) == Self.roots[n], "size \(n)")
            #expect(frontier.root == Self.roots[n], "frontier size \(n)")
            #expect(MerkleFrontier(serialized: frontier.serialized) == frontier)
            if n < 8 { frontier.append(leafHash: hashes[n]) }
        }
    }

    @Test func frontierAgreesWithFullTreeOnLargerSizes() {
        var frontier = MerkleFrontier()
        var hashes: [[UInt8]] = []
        for i in 0..<70 {
            let h = MerkleTree.leafHash(Array("leaf \(i)".utf8))
            hashes.append(h)
            frontier.append(leafHash: h)
            #expect(frontier.root == MerkleTree.root(hashes), "size \(i + 1)")
        }
    }

    struct InclusionVector: Decodable {
        var leafIdx: UInt64
        var treeSize: UInt64
        var root: String?
        var leafHash: String?
        var proof: [String]?
        var wantErr: Bool
    }

    /// Every vector of testdata/inclusion: happy paths verify and our generated proof equals theirs;
    /// every mutation (wrong index, size, root, leaf, modified or extra components) fails.
    @Test func inclusionProofVectors() throws {
        let files = try Vectors.files("merkle-inclusion")
        #expect(files.count > 70)
        let hashes = Self.leaves.map(MerkleTree.leafHash)
        for file in files {
            let v = try JSONDecoder().decode(
                InclusionVector.self, from: Data(try Vectors.bytes("merkle-inclusion/\(file)")))
            let proof = (v.proof ?? []).map { Encoding.bytes(base64: $0)! }
            let root = v.root.flatMap { Encoding.bytes(base64: $0) } ?? []
            let leaf = v.leafHash.flatMap { Encoding.bytes(base64: $0) } ?? []
            let ok = MerkleTree.verifyInclusion(
                index: v.leafIdx, treeSize: v.treeSize, leafHash: leaf, proof: proof,
                root: root)
            #expect(ok == !v.wantErr, "\(file)")
            if !v.wantErr {
                #expect(
                    MerkleTree.inclusionProof(index: Int(v.leafIdx), Array(hashes[0..<Int(v.treeSize)])) == proof,
                    "\(file)")
            }
        }
    }

    @Test func generatedProofsVerifyForEveryLeaf() {
        let hashes = (0..<21).map { MerkleTree.leafHash([UInt8($0)]) }
        for size in 1...hashes.count {
            let root = MerkleTree.root(Array(hashes[0..<size]))
            for i in 0..<size {
                let proof = MerkleTree.inclusionProof(index: i, Array(hashes[0..<size]))
                #expect(
                    MerkleTree.verifyInclusion(
                        index: UInt64(i), treeSize: UInt64(size), leafHash: hashes[i],
                        proof: proof, root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        index: UInt64(i), treeSize: UInt64(size),
                        leafHash: hashes[(i + 1) % hashes.count], proof: proof, root: root))
            }
        }
    }
}
