import Testing
@testable import Traffic

/// How blobs are formed where lanes meet each other and the rest of the picture: which pieces a lane border cut
/// are joined back, and what the lane bands of the lanes form hold.
@Suite struct BlobBandTests {
    func blob(_ minX: Int, _ minY: Int, _ maxX: Int, _ maxY: Int, lane: Int) -> Blob {
        Blob(minX: minX, minY: minY, maxX: maxX, maxY: maxY, area: (maxX - minX + 1) * (maxY - minY + 1), lane: lane)
    }

    /// A waiting car (lane 0, 10 model pixels wide) beside a wide patch of motion outside every lane (a cross
    /// vehicle's headlight beam on the cross street): the car is narrower than 40 % of the beam and overlaps it in
    /// height, so the sliver rule used to join it into the beam's blob — one box over both, in no lane — and the
    /// tracker followed that box. Motion outside the lanes takes in nothing; a piece outside the lanes cut off a
    /// lane's blob (a mirror over the lane's edge) is still joined back into the lane's blob.
    @Test func motionOutsideEveryLaneNeverSwallowsALanesVehicle() {
        let beam = blob(0, 10, 39, 30, lane: -1)
        let car = blob(40, 12, 49, 28, lane: 0)
        let kept = BlobExtractor.mergeSlivers([beam, car])
        #expect(kept.count == 2)
        #expect(kept.contains(car) && kept.contains(beam))

        let body = blob(40, 12, 59, 28, lane: 0)
        let mirror = blob(60, 14, 62, 20, lane: -1)
        let joined = BlobExtractor.mergeSlivers([body, mirror])
        #expect(joined == [Blob(minX: 40, minY: 12, maxX: 62, maxY: 28, area: body.area + mirror.area, lane: 0)])
    }
}
