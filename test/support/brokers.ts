// Where the test suites find RabbitMQ and Mosquitto, and whether they answer (suites skip visibly when not).
import net from 'node:net'

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
export const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883'

/** Does something accept TCP connections at the URL's host and port (1 s)? */
export function answers(url: string, defaultPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = net.connect({ host: hostname, port: Number(port) || defaultPort }, () => { socket.destroy(); resolve(true) })
    socket.on('error', () => resolve(false))
    socket.setTimeout(1000, () => { socket.destroy(); resolve(false) })
  })
}
