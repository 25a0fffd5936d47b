// The chat API's clock: whole seconds (as ConnectyCube shows times), and when a member joining a
// dialog starts counting its messages as unread.

export const nowSecond = (): number => Math.floor(Date.now() / 1000) * 1000

/**
 * When someone joining a dialog that may have messages starts counting them: the next whole second.
 * Messages of the current second may precede the join and created_at cannot tell, so none of that
 * second counts for the newcomer, on the sending side (countSent) and the reading side alike.
 */
export const joinTime = (now: number): number => now + 1000
