import { RoundedBox } from '@react-three/drei';

const BEIGE = '#e4dac2';
const KEY = '#d8ceb5';
const KEY_ROWS = [12, 12, 11, 10];

/** The keyboard and the one-button mouse in front of the Mac: what makes it read as a desk computer. */
export function MacKeyboard() {
  return (
    <group position={[0, -1.72, 1.15]}>
      {/* keyboard: a low wedge of a case and four rows of keys */}
      <RoundedBox args={[2.7, 0.14, 0.95]} radius={0.04} smoothness={2} rotation={[0.08, 0, 0]} castShadow receiveShadow>
        <meshStandardMaterial color={BEIGE} roughness={0.85} />
      </RoundedBox>
      {KEY_ROWS.map((count, row) =>
        Array.from({ length: count }, (_, i) => (
          <mesh key={`${row}-${i}`} position={[(i - (count - 1) / 2) * 0.2, 0.1 - row * 0.014, -0.3 + row * 0.19]} rotation={[0.08, 0, 0]}>
            <boxGeometry args={[0.17, 0.06, 0.16]} />
            <meshStandardMaterial color={KEY} roughness={0.9} />
          </mesh>
        )),
      )}
      {/* space bar */}
      <mesh position={[0, 0.04, 0.45]} rotation={[0.08, 0, 0]}>
        <boxGeometry args={[1.1, 0.06, 0.14]} />
        <meshStandardMaterial color={KEY} roughness={0.9} />
      </mesh>
      {/* mouse, to the right */}
      <RoundedBox args={[0.34, 0.12, 0.52]} radius={0.05} smoothness={3} position={[1.85, 0.0, 0.1]} castShadow>
        <meshStandardMaterial color={BEIGE} roughness={0.85} />
      </RoundedBox>
      <mesh position={[1.85, 0.065, -0.04]}>
        <boxGeometry args={[0.28, 0.01, 0.18]} />
        <meshStandardMaterial color={KEY} />
      </mesh>
    </group>
  );
}
